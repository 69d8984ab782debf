//! Software prefetch: a hint that loads a value's cache line ahead of use, so
//! the random per-key accesses of a large key space overlap instead of
//! stalling one after another.

/// Starts loading the cache line holding `value`. Never faults and changes
/// nothing observable.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    line((value as *const T).cast());
}

/// Starts loading every cache line `value` spans: both, when a record of up
/// to a line's size straddles two (a 48-byte record in an array does every
/// other time, and a lookup that finds half of it missing waits as long as
/// one that finds none of it). A record within one line costs a second hint
/// to the same line.
#[inline(always)]
pub fn prefetch_all<T>(value: &T) {
    const { assert!(size_of::<T>() <= 64, "a record of at most one cache line") };
    let first: *const u8 = (value as *const T).cast();
    line(first);
    line(first.wrapping_add(size_of::<T>().saturating_sub(1)));
}

/// Starts loading the cache line holding the byte at `at`.
#[inline(always)]
fn line(at: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 only hints the cache; it reads nothing into the
    // program, cannot fault (on any address), and SSE is part of the x86-64
    // baseline.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}
