//! The operation stream: arrival counts follow the load profile, keys follow
//! their popularity law, the mix and sessions are honoured.

use archsim::scenario::WorkloadConfig;
use archsim::sim::{SimTime, Streams};
use archsim::workload::{KeyChooser, OpKind, Popularity, Workload};

fn config(text: &str) -> WorkloadConfig {
    toml::from_str(text).unwrap_or_else(|e| panic!("{e}"))
}

fn ops(config: &WorkloadConfig, end_s: u64) -> Vec<archsim::workload::Operation> {
    let mut w = Workload::new(config, &Streams::new(3, 0), SimTime(end_s * 1_000_000_000));
    std::iter::from_fn(|| w.next_op()).collect()
}

/// |count − expected| within 4 Poisson standard deviations.
fn poisson_close(what: &str, count: usize, expected: f64) {
    let sd = expected.sqrt();
    assert!(
        (count as f64 - expected).abs() <= 4.0 * sd,
        "{what}: {count} arrivals, expected {expected:.0} ± {:.0}",
        4.0 * sd
    );
}

#[test]
fn load_profile_steps_and_ramps() {
    // 2000/s, a step to 6000/s at 10 s, then a ramp down to 0 from 20 s to 30 s.
    let c = config(
        r#"
        rate = 2000
        [[phase]]
        at = "10s"
        rate = 6000
        [[phase]]
        at = "20s"
        rate = 0
        ramp = "10s"
        "#,
    );
    let ops = ops(&c, 40);
    let between = |a: f64, b: f64| {
        ops.iter()
            .filter(|o| {
                let t = o.start.as_nanos() as f64 / 1e9;
                t >= a && t < b
            })
            .count()
    };
    poisson_close("0-10 s", between(0.0, 10.0), 20_000.0);
    poisson_close("10-20 s", between(10.0, 20.0), 60_000.0);
    // Linear from 6000 to 0 over 10 s: 30,000 in total, 22,500 in the first half.
    poisson_close("20-25 s", between(20.0, 25.0), 22_500.0);
    poisson_close("25-30 s", between(25.0, 30.0), 7_500.0);
    assert_eq!(between(30.0, 40.0), 0);
    assert!(
        ops.windows(2).all(|w| w[0].start <= w[1].start),
        "arrivals in time order"
    );
}

#[test]
fn interarrival_times_are_exponential() {
    let c = config("rate = 1000");
    let ops = ops(&c, 200);
    let gaps: Vec<f64> = ops
        .windows(2)
        .map(|w| (w[1].start.as_nanos() - w[0].start.as_nanos()) as f64 / 1e6)
        .collect();
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
    assert!((mean - 1.0).abs() < 0.01, "mean gap {mean} ms");
    assert!(
        (var.sqrt() / mean - 1.0).abs() < 0.02,
        "coefficient of variation {}",
        var.sqrt() / mean
    );
}

#[test]
fn mix_and_sessions() {
    let c = config(
        r#"
        rate = 10000
        sessions = 7
        [mix]
        get = 0.75
        put = 0.25
        "#,
    );
    let ops = ops(&c, 10);
    let puts = ops.iter().filter(|o| o.kind == OpKind::Put).count();
    let n = ops.len() as f64;
    let sd = (n * 0.25 * 0.75).sqrt();
    assert!(
        (puts as f64 - 0.25 * n).abs() < 4.0 * sd,
        "{puts} puts of {n}"
    );
    assert!(ops.iter().all(|o| o.session < 7));
    assert!((0..7).all(|s| ops.iter().any(|o| o.session == s)));
}

#[test]
fn zipf_is_exact_at_ten_million_keys() {
    let keys = 10_000_000u64;
    let mut chooser = KeyChooser::new(Popularity::Zipf(0.99), keys);
    let mut rng = Streams::new(5, 0).stream("test");
    let n = 2_000_000;
    let mut top = [0usize; 4];
    let mut beyond_million = 0usize;
    for _ in 0..n {
        let k = chooser.sample(&mut rng);
        assert!(k < keys);
        if k < 4 {
            top[k as usize] += 1;
        }
        if k >= 1_000_000 {
            beyond_million += 1;
        }
    }
    let h: f64 = (1..=keys).map(|r| (r as f64).powf(-0.99)).sum();
    for (rank, count) in top.iter().enumerate() {
        let p = ((rank + 1) as f64).powf(-0.99) / h;
        let expected = p * n as f64;
        assert!(
            (*count as f64 - expected).abs() < 4.0 * expected.sqrt(),
            "rank {rank}: {count} vs {expected:.0}"
        );
    }
    let tail: f64 = (1_000_001..=keys)
        .map(|r| (r as f64).powf(-0.99))
        .sum::<f64>()
        / h;
    let expected = tail * n as f64;
    assert!(
        (beyond_million as f64 - expected).abs() < 4.0 * expected.sqrt(),
        "tail {beyond_million} vs {expected:.0}"
    );
}

#[test]
fn hotspot_sends_its_share_to_the_hot_set() {
    let mut chooser = KeyChooser::new(
        Popularity::Hotspot {
            hot_fraction: 0.01,
            hot_share: 0.9,
        },
        100_000,
    );
    let mut rng = Streams::new(5, 0).stream("test");
    let n = 200_000;
    let hot = (0..n).filter(|_| chooser.sample(&mut rng) < 1000).count();
    let sd = (n as f64 * 0.9 * 0.1).sqrt();
    assert!((hot as f64 - 0.9 * n as f64).abs() < 4.0 * sd, "{hot}");
    assert!((chooser.probability(0).unwrap() - 0.9 / 1000.0).abs() < 1e-15);
}

#[test]
fn popularity_syntax() {
    assert_eq!(
        "zipf(1.2)".parse::<Popularity>().unwrap(),
        Popularity::Zipf(1.2)
    );
    assert_eq!(
        "uniform".parse::<Popularity>().unwrap(),
        Popularity::Uniform
    );
    for bad in [
        "zipf",
        "zipf(-1)",
        "hotspot(0.5)",
        "hotspot(1.5, 0.5)",
        "pareto(1)",
    ] {
        assert!(bad.parse::<Popularity>().is_err(), "{bad}");
    }
}

#[test]
fn phases_must_be_in_order() {
    let err = toml::from_str::<WorkloadConfig>(
        r#"
        [[phase]]
        at = "20s"
        rate = 1
        [[phase]]
        at = "10s"
        rate = 2
        "#,
    )
    .unwrap_err();
    assert!(
        err.message().contains("phases must be in time order"),
        "{err}"
    );
}

#[test]
fn sequential_keys_walk_the_key_space_and_wrap() {
    let mut chooser = KeyChooser::new("sequential".parse().unwrap(), 5);
    let mut rng = Streams::new(1, 0).stream("test");
    let keys: Vec<u64> = (0..12).map(|_| chooser.sample(&mut rng)).collect();
    assert_eq!(keys, [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]);
}

#[test]
fn latest_draws_zipf_ranks_behind_a_moving_head() {
    // Draw i's head is i mod keys: the distance behind it is Zipf(1) over
    // ranks 0.., so a share p(rank 0) of draws return the head itself.
    let keys = 1000u64;
    let mut chooser = KeyChooser::new(Popularity::Latest(1.0), keys);
    let mut rng = Streams::new(2, 0).stream("test");
    let n = 200_000u64;
    let (mut at_head, mut within_ten) = (0u64, 0u64);
    for i in 0..n {
        let head = i % keys;
        let k = chooser.sample(&mut rng);
        let behind = (head + keys - k) % keys;
        at_head += u64::from(behind == 0);
        within_ten += u64::from(behind < 10);
    }
    let h: f64 = (1..=keys).map(|r| 1.0 / r as f64).sum();
    let p0 = 1.0 / h;
    let p10: f64 = (1..=10).map(|r| 1.0 / r as f64).sum::<f64>() / h;
    for (got, p) in [(at_head, p0), (within_ten, p10)] {
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        assert!(
            (got as f64 - p * n as f64).abs() < 4.0 * sd,
            "{got} draws, theory {:.0}",
            p * n as f64
        );
    }
}

#[test]
fn transfers_debit_and_credit_every_account_alike_and_keep_their_locality() {
    // Popular accounts see more transfers, but pay in as many as they are
    // paid by: a fair coin picks the end that pays.
    let c = config(
        r#"
        rate = 10000
        keys = 10
        popularity = "zipf(0.99)"
        groups = 10
        locality = 0.8
        [mix]
        transfer = 1.0
        [entities]
        accounts = 200
        "#,
    );
    let ops = ops(&c, 20);
    let (mut debits, mut credits) = (vec![0i64; 200], vec![0i64; 200]);
    let mut same_group = 0;
    for o in &ops {
        let (from, to) = (o.key - 10, o.other - 10);
        debits[from as usize] += 1;
        credits[to as usize] += 1;
        same_group += usize::from(from % 10 == to % 10);
    }
    let mut busiest: Vec<usize> = (0..200).collect();
    busiest.sort_by_key(|&a| -(debits[a] + credits[a]));
    for &a in &busiest[..10] {
        let (d, c) = (debits[a], credits[a]);
        // Each of the d + c transfers debits `a` with probability 1/2.
        let sd = ((d + c) as f64 / 4.0).sqrt();
        assert!(
            ((d - c) as f64 / 2.0).abs() <= 4.0 * sd,
            "account {a}: debited {d} times, credited {c}"
        );
    }
    let n = ops.len() as f64;
    let sd = (n * 0.8 * 0.2).sqrt();
    assert!(
        (same_group as f64 - 0.8 * n).abs() <= 4.0 * sd,
        "{same_group} of {n} transfers inside one group"
    );
}
