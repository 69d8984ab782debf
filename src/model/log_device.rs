//! The device a log is forced to, and its limits: a cloud volume takes a
//! bounded number of writes per second (IOPS) and moves a bounded number of
//! bytes per second, whatever the commit rate.
//!
//! A flush is one write. It starts no sooner than 1/IOPS after the flush
//! before it on the same device began (the device's rate limiter), and it
//! lasts as long as the longer of its force (the `fsync` draw: the latency
//! of a small write made durable) and the transfer of its records at the
//! device's bandwidth — a latency-bound or a bandwidth-bound write, as a
//! roofline. A lone commit is latency-bound (1 KiB at 125 MiB/s is 8 µs
//! against a 300 µs force), so the limits change nothing at light load;
//! under group commit flushes grow with the load, and once a flush of k
//! records takes k × record / bandwidth, commits beyond bandwidth / record
//! per second queue without bound: the log, not the cores, is the ceiling.
//! A forced log that flushes one batch at a time (group commit) is held by
//! IOPS only when a force is shorter than 1/IOPS.

use crate::sim::{SimDuration, SimTime};

/// A log device's limits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogDevice {
    /// Flushes per second.
    pub iops: f64,
    /// Bytes per second.
    pub bytes_per_s: f64,
    /// Bytes one commit record writes.
    pub record_bytes: f64,
}

impl LogDevice {
    /// A clock of this device for one log flushing on it.
    pub fn clock(&self) -> DeviceClock {
        DeviceClock {
            gap: SimDuration((1e9 / self.iops).round() as u64),
            record_ns: self.record_bytes / self.bytes_per_s * 1e9,
            free_from: SimTime::ZERO,
        }
    }
}

/// When one log's flushes run on its device. The default has no limits.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeviceClock {
    /// 1/IOPS: the least time between the starts of two flushes.
    gap: SimDuration,
    /// Transfer time of one record, in ns.
    record_ns: f64,
    /// The next flush starts no sooner than this.
    free_from: SimTime,
}

impl DeviceClock {
    /// A flush of `records` records, ready at `ready`, whose force takes
    /// `fsync`: when it begins and when it ends. A zero force is no write
    /// (a memory-first log) and takes no room on the device.
    pub fn flush(
        &mut self,
        ready: SimTime,
        records: usize,
        fsync: SimDuration,
    ) -> (SimTime, SimTime) {
        if fsync.is_zero() {
            return (ready, ready);
        }
        let begin = ready.max(self.free_from);
        self.free_from = begin + self.gap;
        (begin, begin + fsync.max(self.transfer(records)))
    }

    /// Whether a flush from `begin` to `end` can take `records` records in
    /// the same time: a record that reaches a log before its next flush has
    /// begun (the device made it wait) joins that flush if it makes it no
    /// longer, and otherwise waits for the flush after it.
    pub fn fits(&self, begin: SimTime, end: SimTime, records: usize) -> bool {
        end > begin && begin + self.transfer(records) <= end
    }

    fn transfer(&self, records: usize) -> SimDuration {
        SimDuration((records as f64 * self.record_ns).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(iops: f64, mib_per_s: f64) -> DeviceClock {
        LogDevice {
            iops,
            bytes_per_s: mib_per_s * 1024.0 * 1024.0,
            record_bytes: 1024.0,
        }
        .clock()
    }

    #[test]
    fn flushes_start_no_closer_than_one_over_iops() {
        let mut d = device(1000.0, 1e6);
        let f = SimDuration::from_micros(100);
        let ms = |m: u64| SimTime(m * 1_000_000);
        assert_eq!(d.flush(ms(0), 1, f), (ms(0), ms(0) + f));
        // Ready at 0.1 ms: the device takes it at 1 ms.
        assert_eq!(d.flush(ms(0) + f, 1, f), (ms(1), ms(1) + f));
        // Ready later than the gap: at once.
        assert_eq!(d.flush(ms(5), 1, f), (ms(5), ms(5) + f));
    }

    #[test]
    fn a_large_flush_is_bandwidth_bound() {
        // 1 MiB/s: a 1 KiB record takes 1/1024 s ≈ 977 µs.
        let mut d = device(1e6, 1.0);
        let f = SimDuration::from_micros(300);
        let (begin, end) = d.flush(SimTime::ZERO, 1, f);
        assert_eq!(end - begin, SimDuration(976_563));
        let (begin, end) = d.flush(SimTime(10_000_000), 1, SimDuration::from_millis(2));
        assert_eq!(end - begin, SimDuration::from_millis(2), "latency-bound");
        // Two records transfer in 1.95 ms, three in 2.93: only two fit.
        assert!(d.fits(begin, end, 2) && !d.fits(begin, end, 3));
    }

    #[test]
    fn a_memory_first_log_takes_no_room() {
        let mut d = device(1.0, 1.0);
        assert_eq!(
            d.flush(SimTime(5), 1000, SimDuration::ZERO),
            (SimTime(5), SimTime(5))
        );
        assert_eq!(
            d.flush(SimTime(6), 1000, SimDuration::ZERO),
            (SimTime(6), SimTime(6))
        );
    }

    #[test]
    fn the_default_clock_has_no_limits() {
        let mut d = DeviceClock::default();
        let f = SimDuration(10);
        assert_eq!(d.flush(SimTime(0), 1_000_000, f), (SimTime(0), SimTime(10)));
        assert_eq!(d.flush(SimTime(0), 1, f), (SimTime(0), SimTime(10)));
    }
}
