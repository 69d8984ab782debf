use super::table::{
    ANOMALY_NOTE, BUSINESS_NOTE, LATENCY_NOTE, LOAD_NOTE, SATURATED_NOTE, anomaly_table,
    any_saturated, app_server_table, business_table, cache_fill_table, component_table,
    coordination_table, failover_table, fault_table, footprint_table, heading, lag_table,
    latency_table, load_table, message_table, read_depth_table, transaction_table,
    visibility_table,
};
use super::{Exporter, Results};

/// `results.md`: the tables a review pastes.
pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn file_name(&self) -> &'static str {
        "results.md"
    }

    fn render(&self, results: &Results) -> anyhow::Result<String> {
        let mut out = format!("# {}\n\n", results.scenario.name);
        if !results.scenario.description.is_empty() {
            out += &format!("{}\n\n", super::one_line(&results.scenario.description));
        }
        out += &format!(
            "{}. Latency is measured from each operation's intended start (open loop); \
             scenario hash `{}`, archsim {}.\n\n",
            heading(results),
            &results.scenario.hash[..12],
            results.archsim_version
        );
        let notes = results.notes();
        if !notes.is_empty() {
            out += "## Notes\n\n";
            for n in notes {
                out += &format!("- {n}\n");
            }
            out.push('\n');
        }
        out += "## Offered load and goodput\n\n";
        out += &format!("{LOAD_NOTE}\n\n");
        if any_saturated(results) {
            out += &format!("{SATURATED_NOTE}\n\n");
        }
        out += &load_table(results).to_markdown();
        out += "\n## Latency\n\n";
        out += &format!("{LATENCY_NOTE}\n\n");
        out += &latency_table(results).to_markdown();
        out += "\n## Throughput and components\n\n";
        out += &component_table(results).to_markdown();
        out += "\n## Consistency anomalies\n\n";
        out += "Exact checks against the system of record's ground truth; classes that did not \
                occur are left out (results.json has them all). A read is stale when it returns a \
                version older than one acknowledged before it was invoked; `read_your_writes` \
                counts the stale reads that missed the reader's own write; `where` is the copy \
                that served the read or applied the write. ";
        out += &format!("{ANOMALY_NOTE}\n\n");
        out += &anomaly_table(results).to_markdown();
        let fills = cache_fill_table(results);
        if !fills.rows.is_empty() {
            out += "\n## Cache fills\n\n";
            out += "A stale set is a reader's fill that lands after a newer write's \
                    invalidation, leaving the old value cached until the TTL or the key's next \
                    write. Under leases a fill needs the token its miss was handed, which the \
                    invalidation voided (`stale sets refused`); a lookup that misses while \
                    another reader holds the key's token waits and looks again (`hot misses`), \
                    and `db reads saved` counts those that then hit; `to database` is the \
                    lookups that read the database.\n\n";
            out += &fills.to_markdown();
        }
        let servers = app_server_table(results);
        if !servers.rows.is_empty() {
            out += "\n## Stale reads by app server\n\n";
            out += "Each application server's own in-process cache (`cache.app_servers`): its \
                    lookups, hit ratio and the stale reads it served (as the oracle counted \
                    them), with their share of the stale reads all the servers' caches served. A \
                    write deletes or updates its own server's copy at once and the others' when \
                    the broadcast arrives; a server that lost the broadcast serves the old value \
                    until the TTL or the key's next write.\n\n";
            out += &servers.to_markdown();
        }
        let business = business_table(results);
        if !business.rows.is_empty() {
            out += "\n## Business outcomes\n\n";
            out += &format!("{BUSINESS_NOTE}\n\n");
            out += &business.to_markdown();
        }
        let faults = fault_table(results);
        if !faults.rows.is_empty() {
            out += "\n## Faults\n\n";
            out += "Each fault of the scenario as each architecture lived it, from the fault's \
                    start to `until s`: one fault length after its end, or the first window after \
                    it with no more failures than before the fault if later, and never past the \
                    next fault's start (the fault and its recovery). `failed` counts the \
                    operations invoked then that failed, timed out or never finished (by start, \
                    like the latency table, warm-up included); `p99 worst` is the highest \
                    per-window p99 then, `p99 before` the median per-window p99 before the \
                    fault — operations that failed or timed out count in both at the client's \
                    whole wait (\"≥\": a lower bound), so nothing succeeding shows as the \
                    timeout, never as a short tail; `anomalies` are those of operations invoked then, beside as many \
                    as the same windows would have had at the rate before the fault (copies \
                    that are stale anyway have some); `in doubt` counts transactions whose \
                    participants stayed prepared, holding their locks, while the coordinator \
                    was down; `takeover` is when a replica or a new leader took over (seconds \
                    from the start of the run).\n\n";
            out += &faults.to_markdown();
            for run in results.runs.iter().filter(|r| r.replication == 0) {
                for f in &run.faults {
                    for note in &f.notes {
                        out += &format!("- {} ({}): {note}\n", run.architecture, f.fault);
                    }
                }
            }
            let failovers = failover_table(results);
            if !failovers.rows.is_empty() {
                out += "\nLeader elections: for each Raft group that lost its leader, how long \
                        until a new leader was elected — the followers' election timeouts since \
                        they last heard from the old leader, then every round of RequestVote — \
                        and until it served (no earlier than the old leader's lease ran out), in \
                        ms from the loss; `rounds` counts the terms in which someone stood, \
                        `split votes` those no candidate won.\n\n";
                out += &failovers.to_markdown();
            }
        }
        let coordination = coordination_table(results);
        if !coordination.rows.is_empty() {
            out += "\n## Coordination cost\n\n";
            out += "Per operation of the workload started in the window (offered: failed and \
                    timed-out ones included, the latency table's `count`), counting everything it \
                    caused, also after its answer (a second commit phase, a write-behind flush, \
                    a commit shipped to a replica, a change delivered to a derived store). \
                    Messages are every message any component sent over the network (a leg of \
                    \"0s\" is a local call, not a message). A round trip is a request and its \
                    answer that the client's answer waited for — the client's own, or one a \
                    server made on its behalf before answering; parallel requests count once, \
                    and a Raft round counts as a consensus round, not a round trip. Forced \
                    writes are log records forced to disk (group commit may share one fsync \
                    among several); `distributed` is the share of operations that touched more \
                    than one shard or partition. Figures shown as - are not counted by that \
                    architecture (locks and aborts: those without transactions under \
                    locks).\n\n";
            out += &coordination.to_markdown();
            let messages = message_table(results);
            if !messages.rows.is_empty() {
                out += "\n### Messages by kind\n\n";
                out += "Per operation: `client` the client's requests and answers, `server` \
                        requests between servers on its behalf, `replication` commits shipped \
                        to read replicas, `pipeline` changes delivered to derived stores (CDC, \
                        event bus with its duplicates, event log), `dual_write` the \
                        application's writes of derived stores, `quorum` legs to a document's \
                        replicas beyond the first, `raft` AppendEntries and answers, \
                        `two_phase_commit` PREPARE/intent, VOTE, COMMIT/ABORT and ACK, \
                        `invalidation` and `fill` the application's writes to a cache.\n\n";
                out += &messages.to_markdown();
            }
        }
        let transactions = transaction_table(results);
        if !transactions.rows.is_empty() {
            out += "\n### Per distributed transaction\n\n";
            out += "Transactions over several shards or partitions that committed: two-phase \
                    commit with presumed abort costs 4n messages and 2n + 1 forced writes for n \
                    participants; over Raft groups each phase is a consensus round. `on path` \
                    counts the forced writes the client waited for; `prepared` sums the time \
                    prepared participants held their locks waiting for the decision.\n\n";
            out += &transactions.to_markdown();
        }
        out += "\n## Footprint\n\n";
        out += "What each architecture asks a team to operate: `platforms` are the kinds of \
                system (a database however many shards or nodes it has, a cache, a search \
                index, a coordinator, an event log, …), `nodes` the servers over all of them \
                (a pipeline with no server of its own in the model counts as one), `servers` \
                the instance each runs on — the smallest AWS r6i size with at least its cores \
                (vCPUs) — and `$/h` what they all cost per hour on demand (r6i: $0.063 per \
                vCPU-hour, us-east-1; a pipeline without cores of its own priced at 4; no \
                price for a node larger than r6i.32xlarge's 128 cores).\n\n";
        out += &footprint_table(results).to_markdown();
        out += "\n";
        for run in results.runs.iter().filter(|r| r.replication == 0) {
            let f = &run.footprint;
            out += &format!("- **{}**: {}", run.architecture, f.systems.join(", "));
            if !f.sync.is_empty() {
                let arrows: Vec<String> = f
                    .sync
                    .iter()
                    .map(|s| format!("{} → {} ({})", s.from, s.to, s.via))
                    .collect();
                out += &format!("; kept in sync: {}", arrows.join("; "));
            }
            out += "\n";
        }
        out += "\n";
        out += &super::diagram::mermaid(
            results
                .runs
                .iter()
                .filter(|r| r.replication == 0)
                .map(|r| (r.architecture.as_str(), &r.footprint)),
        );
        let lag = lag_table(results);
        if !lag.rows.is_empty() {
            out += "\n## Visibility lag\n\n";
            out += "Per copy, from a write's commit at the system of record to its apply at the \
                    copy, for writes committed in the measured window (`writes` of them reached \
                    the copy; \"none delivered\" when none did); `write_model` (a \
                    write-behind cache) runs from the put to its commit at the write model.\n\n";
            out += &lag.to_markdown();
        }
        let visibility = visibility_table(results);
        if !visibility.rows.is_empty() {
            out += "\n## Visibility\n\n";
            out += "Probe reads at fixed delays after a write's acknowledgement: the share that saw \
                    the write (or a newer version).\n\n";
            out += &visibility.to_markdown();
        }
        let depth = read_depth_table(results);
        if !depth.rows.is_empty() {
            out += "\n## Stale-read depth\n\n";
            out += "A leaderless store's reads by how many versions behind the newest version \
                    acknowledged before the read they returned, as shares of its reads (`fresh`: \
                    the newest, or newer). The first k columns add up to the probability of \
                    returning one of the last k versions (PBS k-staleness).\n\n";
            out += &depth.to_markdown();
        }
        Ok(out)
    }
}
