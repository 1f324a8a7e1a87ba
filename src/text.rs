//! Text helpers shared by the answer, the logs and the settings.

/// The longest start of `text` of at most `max` bytes that ends on a character boundary.
pub fn cut_at_char_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The items of a comma-separated setting, trimmed, empty ones dropped.
pub fn comma_list(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_lists_drop_blanks() {
        assert_eq!(comma_list(Some(" a, ,b ,")), ["a", "b"]);
        assert!(comma_list(Some("")).is_empty());
        assert!(comma_list(None).is_empty());
    }

    #[test]
    fn cuts_never_split_a_character() {
        assert_eq!(cut_at_char_boundary("abc", 5), "abc");
        assert_eq!(cut_at_char_boundary("abc", 2), "ab");
        assert_eq!(cut_at_char_boundary("aé", 2), "a");
        assert_eq!(cut_at_char_boundary("", 0), "");
    }
}
