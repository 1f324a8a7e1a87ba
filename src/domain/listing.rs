//! Reading many names of a parent zone in few pages (docs/design.md, "Batches").
//!
//! ListResourceRecordSets lists a zone in one order: names with their labels reversed and a
//! trailing dot (`com.example.dev.`), in ASCII order, then by type; a page starts at any name.
//! Everything at and below a name is one run of that order, so a batch reads only the pages that
//! hold its names and jumps over the records between them: it never reads more pages than the
//! whole zone plus one, nor more runs than it has names.

use super::model::LiveRecord;
use super::name::DnsName;
use std::cmp::Ordering;

/// ListResourceRecordSets' largest page.
pub const RECORDS_PER_PAGE: usize = 300;

/// Where a page of ListResourceRecordSets starts: a name as Route 53 takes or gave it, and the
/// type and set identifier that continue a page cut inside a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub name: String,
    pub rtype: Option<String>,
    pub identifier: Option<String>,
}

impl Cursor {
    /// The first record set at or after `name`.
    pub fn at(name: &DnsName) -> Self {
        Cursor {
            name: name.fqdn(),
            rtype: None,
            identifier: None,
        }
    }
}

/// One page: its record sets and where the next one starts (`None`: the zone ended).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordPage {
    pub records: Vec<LiveRecord>,
    pub next: Option<Cursor>,
}

/// The labels reversed, without the trailing dot: `com.example.dev`.
fn stem(name: &DnsName) -> String {
    name.as_str().rsplit('.').collect::<Vec<_>>().join(".")
}

/// Route 53's sort key for a name: `com.example.dev.`.
fn listing_key(name: &DnsName) -> String {
    stem(name) + "."
}

/// How two stems compare in the listing, when that does not depend on the trailing dot; `None`
/// when it may. Route 53 sorts with the dot and moto without: they disagree only where one stem
/// extends the other with a character below `.` (`dev` and `dev-x`), and on octal escapes, so no
/// decision here rests on either.
fn order(a: &str, b: &str) -> Option<Ordering> {
    if a.contains('\\') || b.contains('\\') {
        return None;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() > short.len() && long.starts_with(short) && long.as_bytes()[short.len()] < b'.' {
        return None;
    }
    Some(a.cmp(b))
}

/// Whether `other` sorts inside the run that starts with the stem `name`: the name, everything
/// below it, and its longer siblings (`dev-x`, `devops`). That run is one stretch in either order.
fn in_run(other: &str, name: &str) -> bool {
    other.starts_with(name)
}

/// A read of the parent zone that covers a set of names: the caller reads the page at each
/// cursor it is given and reports where the page ended, until no cursor is left.
#[derive(Debug)]
pub struct Scan {
    /// The names by stem, each with its stem.
    names: Vec<(String, DnsName)>,
    covered: Vec<bool>,
    /// The stem where the current run of consecutive pages started.
    start: Option<String>,
    /// The name whose records the last page was read for: the first one not yet covered.
    reading: Option<usize>,
    /// Pages read in a row for `reading`.
    run_pages: u32,
}

impl Scan {
    pub fn new(names: Vec<DnsName>) -> Self {
        let mut names: Vec<(String, DnsName)> = names.into_iter().map(|n| (stem(&n), n)).collect();
        names.sort();
        names.dedup();
        let covered = vec![false; names.len()];
        Scan {
            names,
            covered,
            start: None,
            reading: None,
            run_pages: 0,
        }
    }

    /// Where to read first; `None` when there is no name to read.
    pub fn first(&mut self) -> Option<Cursor> {
        (!self.names.is_empty()).then(|| self.jump(0))
    }

    /// Takes note that the last page ended before `next` (`None`: the zone ended) and says where
    /// to read next: on from `next` while the first name not yet covered continues past it, at
    /// that name otherwise; `None` once every name is covered.
    pub fn after_page(&mut self, next: Option<&Cursor>) -> Option<Cursor> {
        let start = self.start.clone()?;
        self.run_pages += 1;
        let unread = next.map(|c| stem(&DnsName::from_route53(&c.name)));
        for ((name, _), covered) in self.names.iter().zip(self.covered.iter_mut()) {
            if !*covered {
                *covered = covers(&start, unread.as_deref(), name);
            }
        }
        let index = self.covered.iter().position(|c| !c)?;
        let name = &self.names[index].0;
        match (next, unread) {
            (Some(cursor), Some(unread))
                if in_run(&unread, name)
                    && (start == *name || order(&start, name) == Some(Ordering::Less)) =>
            {
                if self.reading != Some(index) {
                    // The page just read began this name's stretch.
                    self.reading = Some(index);
                    self.run_pages = 1;
                }
                Some(cursor.clone())
            }
            _ => Some(self.jump(index)),
        }
    }

    /// Pages read in a row for one name's stretch (at, below and beside it): the caller bounds
    /// them, so that a batch of many names in a row is not refused for their sum.
    pub fn run_pages(&self) -> u32 {
        self.run_pages
    }

    /// The name the next page is read for.
    pub fn reading(&self) -> Option<&DnsName> {
        self.reading.map(|i| &self.names[i].1)
    }

    fn jump(&mut self, index: usize) -> Cursor {
        let (stem, name) = &self.names[index];
        self.start = Some(stem.clone());
        self.reading = Some(index);
        self.run_pages = 0;
        Cursor::at(name)
    }
}

/// Whether consecutive pages from `start` up to `unread` hold everything at and below `name`
/// (stems): `name` lies between them and `unread` is past `name`'s run.
fn covers(start: &str, unread: Option<&str>, name: &str) -> bool {
    if unread.is_some_and(|u| in_run(u, name)) {
        return false;
    }
    // A run that started at the name holds everything after it up to `unread`.
    start == name
        || order(start, name) == Some(Ordering::Less)
            && unread.is_none_or(|u| order(u, name) == Some(Ordering::Greater))
}

/// One page of `records` in Route 53's listing order: the in-memory parent zones of the tests
/// serve pages with it, so that the scan meets the order it is written for.
pub fn page_of(records: &[LiveRecord], from: &Cursor, size: usize) -> RecordPage {
    page_sorted_by(records, from, size, listing_key)
}

/// One page of `records` sorted by `key` of their names, then by type.
fn page_sorted_by(
    records: &[LiveRecord],
    from: &Cursor,
    size: usize,
    key: fn(&DnsName) -> String,
) -> RecordPage {
    let sort_key = |r: &LiveRecord| (key(&r.name), r.rtype.to_string());
    let mut sorted: Vec<&LiveRecord> = records.iter().collect();
    sorted.sort_by_key(|r| sort_key(r));
    let from_key = (
        key(&DnsName::from_route53(&from.name)),
        from.rtype.clone().unwrap_or_default(),
    );
    let mut rest = sorted.into_iter().filter(|r| sort_key(r) >= from_key);
    let records: Vec<LiveRecord> = rest.by_ref().take(size).cloned().collect();
    let next = rest.next().map(|r| Cursor {
        name: r.name.fqdn(),
        rtype: Some(r.rtype.to_string()),
        identifier: None,
    });
    RecordPage { records, next }
}

#[cfg(test)]
#[path = "tests/listing.rs"]
mod tests;
