//! Reading the parent zone at and below some names (docs/design.md, "Batches"): one name for a
//! request, every name of a batch at once, in as few pages as the listing order allows.

use crate::domain::listing::{RECORDS_PER_PAGE, Scan};
use crate::domain::model::LiveRecord;
use crate::domain::name::DnsName;
use crate::domain::properties::ZoneId;
use crate::ports::{AdapterError, ErrorKind, ParentZoneStore};
use std::collections::HashSet;

/// Pages read in a row for one name before giving up (30,000 record sets): a plan is never
/// made on a partial read.
const MAX_RUN_PAGES: u32 = 100;

/// Every record set at or below one of `names`.
pub async fn at_and_below<P: ParentZoneStore>(
    parent: &P,
    zone: &ZoneId,
    names: Vec<DnsName>,
) -> Result<Vec<LiveRecord>, AdapterError> {
    let wanted = names.clone();
    let mut scan = Scan::new(names);
    let mut records = Vec::new();
    let mut seen = HashSet::new();
    let mut cursor = scan.first();
    while let Some(from) = cursor {
        if scan.run_pages() >= MAX_RUN_PAGES {
            let name = scan.reading().map_or(from.name.clone(), DnsName::to_string);
            return Err(AdapterError::new(
                ErrorKind::Other,
                format!("ListResourceRecordSets {zone}"),
                format!(
                    "more than {} record sets in a row at, below or beside {name} (names that begin with its first label); the provider does not plan on a partial read. Move records out from below {name}",
                    MAX_RUN_PAGES as usize * RECORDS_PER_PAGE,
                ),
            ));
        }
        let page = parent.records_page(zone, &from).await?;
        for record in page.records {
            // A jump can read a stretch again: keep each record set once.
            if wanted.iter().any(|n| record.name.is_at_or_below(n)) && seen.insert(record.clone()) {
                records.push(record);
            }
        }
        cursor = scan.after_page(page.next.as_ref());
    }
    Ok(records)
}

#[cfg(test)]
#[path = "tests/records.rs"]
mod tests;
