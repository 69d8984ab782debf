//! Split brain: a partition that cuts the primary off from the failure
//! detector and its replica, but not from a quarter of its clients. Without
//! fencing two primaries accept writes from the takeover until the
//! partition heals, and what the old one accepted is lost when it rejoins;
//! a lease or a fencing token stops it, each at its own price.

use archsim::report::RunResult;

use crate::{run_one, within};

/// 2,000 ops/s, half writes, over 2,000 uniform keys; the primary is cut
/// off from 5 s to 15 s with a quarter of the clients on its side, and the
/// replica is promoted at 7 s.
fn split(fencing: &str, lasts: &str) -> RunResult {
    run_one(&format!(
        r#"
        seed = 11
        duration = "20s"
        warmup = "1s"
        [workload]
        rate = 2000
        keys = 2000
        popularity = "uniform"
        retries = 0
        [workload.mix]
        get = 0.5
        put = 0.5
        [[architecture]]
        kind = "single"
        [architecture.replicas]
        count = 1
        reads = "primary"
        failover_after = "2s"
        fencing = "{fencing}"
        [[fault]]
        at = "5s"
        for = "{lasts}"
        kind = "partition"
        target = "primary"
        clients = 0.25
        "#
    ))
}

fn old_primary_lost(run: &RunResult) -> u64 {
    let lost = &run.anomalies.lost_write.by_served_by;
    lost.get("old_primary").copied().unwrap_or(0)
}

#[test]
fn an_unfenced_old_primary_accepts_writes_beside_the_new_one() {
    let run = split("none", "10s");
    let sb = &run.anomalies.split_brain;
    assert_eq!(sb.count, 1);
    // From the takeover at 7 s to the heal at 15 s.
    assert_eq!(sb.duration_ms, 8000.0);
    // The old side writes 2,000 × 0.5 × 0.25 = 250 per second for 8 s:
    // 2,000 writes, all discarded (Poisson: 3 sd is 6.7 %; margin 8 %).
    let lost = sb.lost_acknowledged_writes as f64;
    assert!(within(lost, 2000.0, 0.08), "{lost} writes lost");
    assert_eq!(old_primary_lost(&run), sb.lost_acknowledged_writes);
    // Over K = 2,000 uniform keys, n writes touch K(1 − e^(−n/K)) keys:
    // the old side 0.632 of them; the new side's 750 writes per second,
    // for the 8 s and for the second before the takeover whose writes
    // waited for it within their 1 s timeout (6,750 writes), 0.966. A key
    // both wrote diverged: 2,000 × 0.632 × 0.966 = 1,221 (margin 6 %); one
    // only the old side wrote can be replayed: 2,000 × 0.632 × 0.034 = 43
    // (margin 45 %: 3 sd of so few).
    let (old, new) = (1.0 - (-1.0f64).exp(), 1.0 - (-3.375f64).exp());
    let diverged = sb.keys_diverged as f64;
    let replayable = sb.keys_replayable as f64;
    assert!(
        within(diverged, 2000.0 * old * new, 0.06),
        "{diverged} keys diverged, {replayable} replayable, {lost} lost"
    );
    assert!(
        within(replayable, 2000.0 * old * (1.0 - new), 0.45),
        "{replayable} keys replayable"
    );
}

#[test]
fn a_lease_stops_the_old_primary_and_its_side_waits() {
    let (none, lease) = (split("none", "10s"), split("lease", "10s"));
    assert_eq!(lease.anomalies.split_brain.count, 0);
    assert_eq!(old_primary_lost(&lease), 0);
    // Its side reaches nothing from the takeover to the heal: 0.25 × 2,000
    // × 8 s = 4,000 more operations fail or time out (margin 25 %).
    let not_ok = |r: &RunResult| {
        let all = r.latency.all();
        (all.count - all.ok) as f64
    };
    let extra = not_ok(&lease) - not_ok(&none);
    assert!(within(extra, 4000.0, 0.25), "{extra} more failed");
}

#[test]
fn a_token_refuses_the_old_primarys_writes_but_not_its_stale_reads() {
    let (lease, token) = (split("lease", "10s"), split("token", "10s"));
    assert_eq!(token.anomalies.split_brain.count, 0);
    assert_eq!(old_primary_lost(&token), 0);
    // Its side's reads still answer from data the new primary moves past.
    let (stale_lease, stale_token) = (
        lease.anomalies.stale_read.count,
        token.anomalies.stale_read.count,
    );
    assert!(
        stale_token > stale_lease + 1000,
        "stale reads: token {stale_token}, lease {stale_lease}"
    );
}

#[test]
fn a_partition_shorter_than_the_failover_leaves_one_primary() {
    let run = split("none", "1s");
    assert_eq!(run.anomalies.split_brain.count, 0);
    assert_eq!(run.anomalies.lost_write.count, 0);
    assert_eq!(run.faults[0].takeover_s, None);
}
