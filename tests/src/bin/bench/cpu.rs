//! Where the processor time of a scenario goes: CPU seconds (user + system,
//! every thread) of the bench client, of every PostgreSQL process and of
//! each service process, read from /proc before and after the load. On a
//! machine whose cores are shared by all of them, this is what bounds
//! throughput: a ratio cannot beat the baseline's CPU per operation over
//! the suite's.

use std::collections::BTreeMap;

/// Linux reports process times in clock ticks of 1/100 s (USER_HZ).
const TICKS_PER_SECOND: f64 = 100.0;

/// The processes measured, by group name.
#[derive(Clone, Debug, Default)]
pub struct Processes {
    named: Vec<(String, u32)>,
}

impl Processes {
    /// The bench client and the database server alone.
    pub fn database_only() -> Self {
        Self::default()
    }

    /// Also the services, by name and pid.
    pub fn with_services(services: impl IntoIterator<Item = (String, u32)>) -> Self {
        Self {
            named: services.into_iter().collect(),
        }
    }

    /// CPU seconds so far of each group: "client", "database", then the
    /// named processes.
    pub fn snapshot(&self) -> BTreeMap<String, f64> {
        let mut groups = BTreeMap::new();
        groups.insert(
            "client".to_owned(),
            cpu_seconds(std::process::id()).unwrap_or(0.0),
        );
        groups.insert("database".to_owned(), database_seconds());
        for (name, pid) in &self.named {
            groups.insert(name.clone(), cpu_seconds(*pid).unwrap_or(0.0));
        }
        groups
    }
}

/// CPU milliseconds per operation of each group between two snapshots.
pub fn per_operation(
    before: &BTreeMap<String, f64>,
    after: &BTreeMap<String, f64>,
    operations: usize,
) -> Vec<(String, f64)> {
    after
        .iter()
        .map(|(name, seconds)| {
            let spent = seconds - before.get(name).copied().unwrap_or(0.0);
            (
                name.clone(),
                spent.max(0.0) * 1000.0 / operations.max(1) as f64,
            )
        })
        .collect()
}

/// User + system seconds of one process (all its threads).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; fields resume after its ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user + system) / TICKS_PER_SECOND)
}

/// Seconds of every process named `postgres` (server and backends).
fn database_seconds() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "postgres")
        })
        .filter_map(cpu_seconds)
        .sum()
}
