//! Closed-loop load: `clients` callers each run operations back to back;
//! throughput and latency percentiles come out.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::cpu::{Processes, per_operation};

/// One measured scenario.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub name: String,
    pub clients: usize,
    pub ops_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// CPU milliseconds per operation by process group.
    pub cpu_ms: Vec<(String, f64)>,
}

/// Runs `total` operations over `clients` concurrent callers, after one
/// warm-up operation per caller. `op(i)` is the i-th operation; the CPU of
/// `processes` is measured over the timed part.
pub async fn measure<F, Fut>(
    name: &str,
    clients: usize,
    total: usize,
    processes: &Processes,
    op: F,
) -> Measurement
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    for i in 0..clients {
        op(total + i).await;
    }
    let cpu_before = processes.snapshot();
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..clients {
        let op = op.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = w;
            while i < total {
                let t = Instant::now();
                op(i).await;
                latencies.push(t.elapsed());
                i += clients;
            }
            latencies
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap_or_default());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_ms = per_operation(&cpu_before, &processes.snapshot(), latencies.len());
    latencies.sort();
    let pick = |q: f64| {
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies
            .get(index)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Measurement {
        name: name.to_owned(),
        clients,
        ops_per_sec: latencies.len() as f64 / elapsed,
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        cpu_ms,
    }
}

/// Prints a scenario beside its baseline with the ratios (throughput: the
/// suite's over the baseline's, higher is better; p50: the suite's over the
/// baseline's, lower is better).
pub fn compare(suite: &Measurement, baseline: &Measurement) {
    println!(
        "{:<44} {:>3} {:>9.0} {:>8.2} {:>8.2}",
        suite.name, suite.clients, suite.ops_per_sec, suite.p50_ms, suite.p99_ms
    );
    println!(
        "  {:<42} {:>3} {:>9.0} {:>8.2} {:>8.2}",
        baseline.name, baseline.clients, baseline.ops_per_sec, baseline.p50_ms, baseline.p99_ms
    );
    println!(
        "  {:<42} {:>13.2}x {:>7.2}x",
        "ratio (throughput, p50)",
        suite.ops_per_sec / baseline.ops_per_sec,
        suite.p50_ms / baseline.p50_ms
    );
}

/// Prints where the CPU of each scenario went, per operation.
pub fn cpu_table(measurements: &[&Measurement]) {
    println!("\nCPU ms per operation (user + system, all threads), by process:");
    for m in measurements {
        let total: f64 = m.cpu_ms.iter().map(|(_, ms)| ms).sum();
        let parts: Vec<String> = m
            .cpu_ms
            .iter()
            .filter(|(_, ms)| *ms > 0.0)
            .map(|(group, ms)| format!("{group} {ms:.2}"))
            .collect();
        println!(
            "  {:<44} {:>3}  total {total:.2}: {}",
            m.name,
            m.clients,
            parts.join(", ")
        );
    }
}

/// The table's header.
pub fn header() {
    println!(
        "{:<44} {:>3} {:>9} {:>8} {:>8}",
        "scenario", "cl", "ops/s", "p50 ms", "p99 ms"
    );
}

/// A fixed pseudo-random sequence (splitmix64), so every run and both the
/// suite and its baseline draw the same items.
pub fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `count` distinct items of `0..catalogue` for operation `i`, ascending.
pub fn items(i: usize, count: usize, catalogue: usize) -> Vec<usize> {
    let mut picked = Vec::with_capacity(count);
    let mut k = 0u64;
    while picked.len() < count {
        let item = (mix((i as u64) << 8 | k) % catalogue as u64) as usize;
        if !picked.contains(&item) {
            picked.push(item);
        }
        k += 1;
    }
    picked.sort_unstable();
    picked
}
