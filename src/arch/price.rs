//! What a server costs to run: the instance it needs for its cores, and
//! that instance's price per hour.
//!
//! Every node of every architecture is priced the same way, by its cores
//! (a core is a vCPU): the smallest size of one instance family with at
//! least that many, so a comparison's costs differ only by what each
//! architecture runs. The family is AWS EC2 r6i (memory-optimized, the
//! usual home of a database and a cache), on-demand, Linux, us-east-1:
//! $0.063 per vCPU-hour at every size, from r6i.large (2 vCPUs, $0.126/h)
//! to r6i.32xlarge (128 vCPUs, $8.064/h) — AWS's published on-demand price
//! list. A node with more cores than the largest size has no price: no one
//! machine of the family is that large.
//!
//! A pipeline the model runs without cores of its own (a CDC connector, an
//! event bus, an event log) is priced as a server of
//! [`PIPELINE_CORES`] cores (estimate: a Kafka broker or a Debezium
//! connector's worker on a mid-size instance), a document store's replica
//! and a shard directory as a database node.

use serde::{Deserialize, Serialize};

/// One instance size: its name, vCPUs and on-demand price per hour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Size {
    pub name: &'static str,
    pub cores: u32,
    pub usd_per_hour: f64,
}

/// AWS EC2 r6i, on-demand, Linux, us-east-1, smallest first.
pub const SIZES: &[Size] = &[
    size("r6i.large", 2, 0.126),
    size("r6i.xlarge", 4, 0.252),
    size("r6i.2xlarge", 8, 0.504),
    size("r6i.4xlarge", 16, 1.008),
    size("r6i.8xlarge", 32, 2.016),
    size("r6i.12xlarge", 48, 3.024),
    size("r6i.16xlarge", 64, 4.032),
    size("r6i.24xlarge", 96, 6.048),
    size("r6i.32xlarge", 128, 8.064),
];

const fn size(name: &'static str, cores: u32, usd_per_hour: f64) -> Size {
    Size {
        name,
        cores,
        usd_per_hour,
    }
}

/// Cores a pipeline without a server of its own is priced at.
pub const PIPELINE_CORES: u32 = 4;

/// Hours in a month of continuous running (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The smallest size with at least `cores` cores; `None` beyond the largest.
pub fn size_for(cores: u32) -> Option<&'static Size> {
    SIZES.iter().find(|s| s.cores >= cores)
}

/// Servers of one kind in a footprint, and what they cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Instances {
    pub platform: String,
    pub nodes: u32,
    /// Cores (vCPUs) of each.
    pub cores: u32,
    /// The instance size each runs on; `None` when none is large enough.
    pub instance: Option<String>,
    /// Price per hour of all of them; `None` without an instance size.
    pub usd_per_hour: Option<f64>,
}

impl Instances {
    pub fn of(platform: &str, nodes: u32, cores: u32) -> Instances {
        let size = size_for(cores);
        Instances {
            platform: platform.to_string(),
            nodes,
            cores,
            instance: size.map(|s| s.name.to_string()),
            usd_per_hour: size.map(|s| f64::from(nodes) * s.usd_per_hour),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_runs_on_the_smallest_size_that_holds_its_cores() {
        assert_eq!(size_for(1).unwrap().name, "r6i.large");
        assert_eq!(size_for(8).unwrap().name, "r6i.2xlarge");
        assert_eq!(size_for(6).unwrap().name, "r6i.2xlarge");
        assert_eq!(size_for(128).unwrap().name, "r6i.32xlarge");
        assert!(size_for(129).is_none());
        let i = Instances::of("database", 3, 16);
        assert_eq!(i.usd_per_hour, Some(3.024));
    }

    #[test]
    fn the_family_is_priced_per_vcpu() {
        for s in SIZES {
            let per_core = s.usd_per_hour / f64::from(s.cores);
            assert!((per_core - 0.063).abs() < 1e-12, "{s:?}");
        }
    }
}
