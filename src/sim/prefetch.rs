//! Software prefetch: a hint that loads a value's cache line ahead of use, so
//! the random per-key accesses of a large key space overlap instead of
//! stalling one after another.

/// Starts loading the cache line holding `value`. Never faults and changes
/// nothing observable.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 only hints the cache; it reads nothing into the
    // program, cannot fault, and SSE is part of the x86-64 baseline.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
