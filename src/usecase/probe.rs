//! The audit's probes of one delegation (docs/design.md, "Audit", "Probes"): which questions it
//! asks of which delegated name servers; what the answers mean is `domain::verdict`'s and
//! `domain::warning`'s business.

use crate::domain::name::DnsName;
use crate::domain::probe::{Question, Reply};
use crate::domain::verdict::{CdsProbe, Delegation, Evidence, ServerProbe, Service, service};
use crate::ports::DnsProber;
use futures_util::future::join_all;
use std::net::SocketAddr;

/// Addresses of one name server tried before it counts as unreachable.
const ADDRESSES_PER_SERVER: usize = 2;

/// Asks every delegated server for the SOA of the name; then one serving server for the NS set
/// and the DNSKEY set at the child apex; when the child is signed (it has DNSKEYs), every serving
/// server for its CDS and CDNSKEY sets.
pub async fn probe<D: DnsProber>(prober: &D, delegation: &Delegation) -> Evidence {
    let servers: Vec<ServerProbe> = join_all(
        delegation
            .ns
            .iter()
            .map(|host| ask_server(prober, host.trim_end_matches('.'), &delegation.name)),
    )
    .await;
    let serving: Vec<(&str, SocketAddr)> = servers
        .iter()
        .filter(|s| service(&s.soa) == Service::Serves)
        .filter_map(|s| Some((s.host.as_str(), s.address.as_deref()?.parse().ok()?)))
        .collect();
    let Some((_, first)) = serving.first().copied() else {
        return Evidence {
            servers,
            apex_ns: None,
            dnskey: None,
            cds: Vec::new(),
        };
    };
    let (apex_ns, dnskey) = futures_util::join!(
        prober.ask(first, &delegation.name, Question::Ns),
        prober.ask(first, &delegation.name, Question::Dnskey)
    );
    let signed = matches!(&dnskey, Reply::Answered(a) if !a.dnskeys.is_empty());
    let cds = if signed {
        join_all(
            serving
                .iter()
                .map(|(host, address)| ask_cds(prober, host, *address, &delegation.name)),
        )
        .await
    } else {
        Vec::new()
    };
    Evidence {
        servers,
        apex_ns: Some(apex_ns),
        dnskey: Some(dnskey),
        cds,
    }
}

/// One serving server's CDS and CDNSKEY sets.
async fn ask_cds<D: DnsProber>(
    prober: &D,
    host: &str,
    address: SocketAddr,
    name: &DnsName,
) -> CdsProbe {
    let (cds, cdnskey) = futures_util::join!(
        prober.ask(address, name, Question::Cds),
        prober.ask(address, name, Question::Cdnskey)
    );
    CdsProbe {
        host: host.to_owned(),
        cds,
        cdnskey,
    }
}

/// One server's SOA answer, from its first address that answers at all.
async fn ask_server<D: DnsProber>(prober: &D, host: &str, name: &DnsName) -> ServerProbe {
    let addresses = match prober.addresses(host).await {
        Ok(addresses) => addresses,
        Err(why) => {
            return ServerProbe {
                host: host.to_owned(),
                address: None,
                soa: Reply::NoAnswer(why),
            };
        }
    };
    let mut last = None;
    for address in addresses.into_iter().take(ADDRESSES_PER_SERVER) {
        let soa = prober.ask(address, name, Question::Soa).await;
        let answered = matches!(soa, Reply::Answered(_));
        last = Some(ServerProbe {
            host: host.to_owned(),
            address: Some(address.to_string()),
            soa,
        });
        if answered {
            break;
        }
    }
    last.unwrap_or_else(|| ServerProbe {
        host: host.to_owned(),
        address: None,
        soa: Reply::NoAnswer(format!("no address for {host}")),
    })
}
