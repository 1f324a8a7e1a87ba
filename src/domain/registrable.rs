//! The registrable domain of a name server's host name (docs/design.md, "Audit", warnings): the
//! public suffix and one label more, so that the `single-provider` warning can tell whether a
//! delegation's name servers sit under one DNS provider's domain.
//!
//! A documented rule rather than the whole Public Suffix List: the last two labels, or three when
//! the last two are one of the multi-label suffixes below (the `psl` crate compiles 2.6 MB of
//! generated match arms, and `publicsuffix` needs the list shipped and loaded; neither is light).
//! Route 53's name servers (`ns-1.awsdns-01.com`, `ns-2.awsdns-02.net`, `ns-3.awsdns-03.org`,
//! `ns-4.awsdns-04.co.uk`) count by their registrable domains, four different ones.

/// Public suffixes of two labels under which names are registered one label deeper: the
/// second-level suffixes of the country-code domains that name servers are most often found under.
const MULTI_LABEL_SUFFIXES: &[&str] = &[
    "ac.uk", "co.uk", "gov.uk", "ltd.uk", "me.uk", "net.uk", "org.uk", "plc.uk", "com.au",
    "net.au", "org.au", "edu.au", "gov.au", "co.nz", "net.nz", "org.nz", "co.jp", "ne.jp", "or.jp",
    "ac.jp", "go.jp", "com.br", "net.br", "org.br", "com.cn", "net.cn", "org.cn", "gov.cn",
    "co.in", "net.in", "org.in", "co.za", "org.za", "com.mx", "com.sg", "com.hk", "com.tw",
    "co.kr", "com.tr", "co.il", "com.ar", "com.pl", "com.ua", "co.id", "com.my", "com.ph",
];

/// Labels of a registrable domain under a one-label suffix (`example.com`).
const REGISTRABLE_LABELS: usize = 2;

/// The registrable domain of `host` (lower case, no trailing dot): `ns1.dns.example.co.uk` →
/// `example.co.uk`, `ns-1.awsdns-01.com` → `awsdns-01.com`. A host of no more labels than that is
/// its own registrable domain.
pub fn registrable_domain(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let last_two = labels
        .len()
        .checked_sub(REGISTRABLE_LABELS)
        .map(|i| labels[i..].join("."));
    let keep = match last_two {
        Some(suffix) if MULTI_LABEL_SUFFIXES.contains(&suffix.as_str()) => REGISTRABLE_LABELS + 1,
        _ => REGISTRABLE_LABELS,
    };
    labels[labels.len().saturating_sub(keep)..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains_follow_the_documented_rule() {
        for (host, domain) in [
            ("ns1.dns.test", "dns.test"),
            ("NS1.Example.COM.", "example.com"),
            ("ns-1.awsdns-01.com", "awsdns-01.com"),
            ("ns-2.awsdns-02.net", "awsdns-02.net"),
            ("ns-3.awsdns-03.org", "awsdns-03.org"),
            ("ns-4.awsdns-04.co.uk", "awsdns-04.co.uk"),
            ("a.b.example.co.uk", "example.co.uk"),
            ("co.uk", "co.uk"),
            ("example.com", "example.com"),
            ("localhost", "localhost"),
            ("ns.deep.sub.provider.com.au", "provider.com.au"),
        ] {
            assert_eq!(registrable_domain(host), domain, "{host}");
        }
    }
}
