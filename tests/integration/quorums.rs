//! Sloppy quorums in the leaderless document store (`propagate = "quorum"`):
//! a write goes to w replicas chosen at random and the others learn of it
//! only by hinted handoff. With handoff off, the depth of stale reads
//! follows PBS k-staleness (Bailis, Venkataraman, Franklin, Hellerstein,
//! Stoica, "Probabilistically Bounded Staleness for Practical Partial
//! Quorums", PVLDB 5(8), 2012): a read of r replicas returns one of the last
//! k versions with probability 1 − (C(n − w, r) / C(n, r))^k.

use archsim::check::ReadDepths;

use crate::run_one;

/// Documents per run and the operation rate: each document is written 10
/// times a second on average (100 ms apart) and read as often, while every
/// leg takes tens of microseconds — so each write completes long before
/// the next of its document, and reads fall in between.
const DOCUMENTS: u32 = 100;
const RATE: u32 = 2000;
/// Measured seconds: about 200,000 reads. The warm-up gives every document
/// some 50 writes first, so no read is shallow for lack of history.
const SECONDS: u32 = 200;

/// A docstore-only stream, half writes and half reads, under a sloppy
/// quorum of n = 3 with r = 1, the given w and handoff.
fn sloppy(w: u32, handoff: &str) -> ReadDepths {
    let res = run_one(&format!(
        r#"
        duration = "{SECONDS}s"
        warmup = "5s"
        [workload]
        rate = {RATE}
        popularity = "uniform"
        [workload.mix]
        doc_get = 0.5
        doc_put = 0.5
        [workload.entities]
        documents = {DOCUMENTS}
        [[architecture]]
        kind = "sharded"
        [architecture.docstore]
        n = 3
        r = 1
        w = {w}
        propagate = "quorum"
        handoff = "{handoff}"
        write = "10us"
        ack = "10us"
        read = "exp(10us)"
        response = "exp(10us)"
        "#
    ));
    res.anomalies
        .quorum_read_depth
        .expect("reads served by a quorum")
}

/// The margin of a share `p` estimated from `reads` reads: four standard
/// errors. Reads between the same writes of a document see the same
/// replicas, and a read's outcome depends on the document's last `k`
/// writes; with one read per write interval on average (m = 1) the
/// variance of the share is at most (2k − 1)(1 + m) · v / reads, where v is
/// p(1 − p) when each read's chance is fixed by the replicas' state between
/// writes, and 1 (any read outcome) otherwise.
fn margin(k: usize, v: f64, reads: u64) -> f64 {
    let m = 1.0;
    4.0 * ((2 * k - 1) as f64 * (1.0 + m) * v / reads as f64).sqrt()
}

#[test]
fn with_propagation_off_reads_return_one_of_the_last_k_versions_as_pbs_predicts() {
    // n = 3, r = 1: a read's first reply comes from a replica chosen
    // uniformly, and misses each of the last k writes independently with
    // probability C(3 − w, 1)/C(3, 1) = (3 − w)/3.
    for (w, want) in [
        (1, [1.0 / 3.0, 5.0 / 9.0, 19.0 / 27.0]),
        (2, [2.0 / 3.0, 8.0 / 9.0, 26.0 / 27.0]),
    ] {
        let depths = sloppy(w, "off");
        assert!(depths.reads > 150_000, "{} reads", depths.reads);
        for (k, want) in (1..=3).zip(want) {
            let got = depths.within(k);
            let tolerance = margin(k, want * (1.0 - want), depths.reads);
            assert!(
                (got - want).abs() < tolerance,
                "N=3 R=1 W={w}: {got:.4} of reads returned one of the last {k} versions, \
                 PBS gives {want:.4} ± {tolerance:.4} ({depths:?})"
            );
        }
    }
}

#[test]
fn hinted_handoff_brings_the_skipped_replicas_up_to_date() {
    // Writes 100 ms apart on average (rate λ = 10/s per document), handoff
    // after exp(50 ms) (μ = 20/s): a read finds its replica fresh if the
    // latest write was sent there (1/3) or, on one of the other two,
    // handed off already. The last write's age at a read is exponential
    // with rate λ, so P(handoff before the read) = μ/(λ + μ) = 2/3 and
    // P(fresh) = 1/3 + 2/3 · 2/3 = 7/9.
    let depths = sloppy(1, "exp(50ms)");
    let want = 7.0 / 9.0;
    let got = depths.within(1);
    let tolerance = margin(1, 1.0, depths.reads);
    assert!(
        (got - want).abs() < tolerance,
        "{got:.4} of reads fresh, theory {want:.4} ± {tolerance:.4} ({depths:?})"
    );
    // With handoff at once the skipped replicas are as fresh as the others.
    let at_once = sloppy(1, "0s");
    assert_eq!(at_once.fresh, at_once.reads, "{at_once:?}");
}
