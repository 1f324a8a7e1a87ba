//! The TTL and StsRegion values (docs/design.md, "Properties"): a TTL in seconds within Route 53's
//! range, a region name in the shape of AWS's.

use super::{PropertyError, invalid, show};

pub const DEFAULT_TTL: u32 = 172_800;
pub const MAX_TTL: u32 = 604_800;

/// Longer values are shown shortened in a Reason.
const SHOWN_AS_IS: usize = 24;

pub(super) fn ttl(text: Option<String>) -> Result<u32, PropertyError> {
    let Some(s) = text else {
        return Ok(DEFAULT_TTL);
    };
    let out_of_range = || {
        invalid(
            "TTL",
            format!(
                "is {}; use 1 to {MAX_TTL} seconds",
                if s.len() > SHOWN_AS_IS {
                    show(&s)
                } else {
                    s.clone()
                }
            ),
        )
    };
    match s.parse::<u64>() {
        Ok(n) if (1..=u64::from(MAX_TTL)).contains(&n) => Ok(n as u32),
        Ok(_) => Err(out_of_range()),
        Err(_) if s.starts_with('-') && s[1..].bytes().all(|b| b.is_ascii_digit()) => {
            Err(out_of_range())
        }
        Err(_) => Err(invalid(
            "TTL",
            format!(
                "is {}; use a whole number of seconds from 1 to {MAX_TTL}",
                show(&s)
            ),
        )),
    }
}

pub(super) fn sts_region(s: String) -> Result<String, PropertyError> {
    let ok = s.len() <= MAX_REGION_CHARS
        && s.split('-').count() >= 3
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(s)
    } else {
        Err(invalid(
            "StsRegion",
            format!("is {}; use a region name such as us-east-1", show(&s)),
        ))
    }
}

/// Longer than any AWS region name.
const MAX_REGION_CHARS: usize = 32;
