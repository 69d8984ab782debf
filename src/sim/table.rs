//! Per-key tables: one record per key, indexed by key, in memory the kernel
//! is asked to back with huge pages.
//!
//! At 10^6 keys and more, each operation touches a few records at random in
//! tables of tens of MB (the oracle's, the database's, each replica's copy,
//! the cache's entries). On 4 KiB pages nearly every such touch also misses
//! the processor's address translation cache and walks the page table;
//! 2 MiB pages cover those tables with a few hundred translations. Linux
//! gives them to memory that asks (`madvise(MADV_HUGEPAGE)`) when
//! transparent huge pages are set to `madvise` or `always`
//! (`/sys/kernel/mm/transparent_hugepage/enabled`); under `never`, and on
//! other systems, the tables are ordinary memory. Nothing observable
//! changes: the records and their order are the same.

/// Below this size a table fits the translation cache on small pages.
const WORTH_ADVISING: usize = 4 << 20;

/// A table of `keys` records, key `k`'s made by `make(k)`. The memory is
/// advised before the records are written, so the first touch of each
/// huge page already gets one.
pub fn per_key<T>(keys: u64, make: impl FnMut(u64) -> T) -> Vec<T> {
    let n = usize::try_from(keys).expect("the key count fits in memory");
    let mut table: Vec<T> = Vec::with_capacity(n);
    advise_huge_pages(table.as_mut_ptr().cast(), n * size_of::<T>());
    table.extend((0..keys).map(make));
    table
}

/// A table of `keys` copies of `record`.
pub fn filled<T: Clone>(keys: u64, record: T) -> Vec<T> {
    per_key(keys, |_| record.clone())
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *mut u8, bytes: usize) {
    if bytes < WORTH_ADVISING {
        return;
    }
    const PAGE: usize = 4096;
    let first = (start as usize).next_multiple_of(PAGE);
    let end = (start as usize + bytes) / PAGE * PAGE;
    if end > first {
        // SAFETY: the range lies within the table's own allocation, and the
        // advice changes only how the kernel backs it, never its contents;
        // a refusal (no transparent huge pages) leaves it as it was.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_start: *mut u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_holds_each_record_in_key_order() {
        let big = per_key(3 << 20, |i| i as u32);
        assert_eq!(big.len(), 3 << 20);
        assert!(big.iter().enumerate().all(|(i, &r)| r == i as u32));
        assert_eq!(filled(5, 7u8), vec![7u8; 5]);
    }
}
