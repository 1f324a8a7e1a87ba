//! `DELEGATION_METRICS_NAMESPACE`: where the provider's metrics go (docs/design.md, "Metrics").

/// The namespace when the variable is not set.
pub const DEFAULT_METRICS_NAMESPACE: &str = "SubdomainDelegation";
/// CloudWatch's longest namespace.
const MAX_NAMESPACE_CHARS: usize = 255;

/// Where the metrics of a running function go: printed only inside Lambda, whose log pipeline
/// turns Embedded Metric Format lines into metrics (outside it, stdout is `invoke`'s answer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsTarget {
    pub namespace: String,
    /// `AWS_LAMBDA_FUNCTION_NAME`: every metric's `FunctionName` dimension.
    pub function_name: String,
}

/// The target, or `None` when the namespace is empty (metrics off) or not inside Lambda.
pub fn metrics_target(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<MetricsTarget>, String> {
    let namespace =
        var("DELEGATION_METRICS_NAMESPACE").unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.to_owned());
    let namespace = namespace.trim();
    if namespace.is_empty() {
        return Ok(None);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c);
    if namespace.chars().count() > MAX_NAMESPACE_CHARS
        || !namespace.chars().all(allowed)
        || namespace.starts_with("AWS/")
    {
        return Err(format!(
            "{namespace:?} is not a CloudWatch namespace (at most {MAX_NAMESPACE_CHARS} letters, digits and . - _ / # : or space, not starting with AWS/; empty turns metrics off)"
        ));
    }
    Ok(var("AWS_LAMBDA_FUNCTION_NAME")
        .filter(|name| !name.is_empty())
        .map(|function_name| MetricsTarget {
            namespace: namespace.to_owned(),
            function_name,
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(vars: &[(&str, &str)]) -> Result<Option<MetricsTarget>, String> {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        metrics_target(&lookup)
    }

    #[test]
    fn metrics_go_to_the_namespace_inside_lambda_only() {
        let lambda = ("AWS_LAMBDA_FUNCTION_NAME", "subdomain-delegation");
        assert_eq!(
            target(&[lambda]).unwrap().unwrap(),
            MetricsTarget {
                namespace: DEFAULT_METRICS_NAMESPACE.into(),
                function_name: "subdomain-delegation".into()
            }
        );
        let custom = ("DELEGATION_METRICS_NAMESPACE", "Platform/DNS");
        assert_eq!(
            target(&[lambda, custom]).unwrap().unwrap().namespace,
            "Platform/DNS"
        );
        assert_eq!(target(&[]).unwrap(), None, "outside Lambda");
        assert_eq!(
            target(&[lambda, ("DELEGATION_METRICS_NAMESPACE", "")]).unwrap(),
            None
        );
        for bad in ["AWS/Lambda", "bad{name}", &"x".repeat(256)] {
            assert!(
                target(&[lambda, ("DELEGATION_METRICS_NAMESPACE", bad)]).is_err(),
                "{bad}"
            );
        }
    }
}
