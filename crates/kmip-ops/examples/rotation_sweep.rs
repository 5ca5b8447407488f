//! The rotation sweep at scale: a sled store holding `CMKS` customer master keys, `DUE` of
//! them due now, and the scheduler's sweep (batches of 50, as kmipd's scheduler calls it)
//! timed until every due CMK has rotated. Run by `benches/rotation-sweep.sh`:
//!
//! ```sh
//! cargo run --release -p kmip-ops --example rotation_sweep -- 1000000 10000 [DATA_DIR]
//! ```
//!
//! The store is real (sled, records sealed under a root key, every commit flushed); the
//! clock is injected, so that the due CMKs were made one interval ago.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use kmip_keystore::{KeyStore, Keyring, RootKey, RotationPolicy, SledStore};
use kmip_ops::rotation::{DAY, NewCmk};
use kmip_ops::{Clock, Service, ServiceConfig};
use kmip_proto::SecretBytes;

/// The scheduler's batch (`kmip-server/src/scheduler.rs`).
const BATCH: usize = 50;
/// CMKs made per commit while filling.
const FILL_BATCH: usize = 2_000;

#[derive(Debug)]
struct SettableClock(AtomicI64);

impl Clock for SettableClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let cmks: usize = args.get(1).map_or(Ok(1_000_000), |a| a.parse())?;
    let due: usize = args.get(2).map_or(Ok(10_000), |a| a.parse())?;
    let temp = tempfile::tempdir()?;
    let dir = args.get(3).map_or_else(|| temp.path().to_path_buf(), Into::into);

    let root = RootKey::from_bytes(&SecretBytes::new(vec![0x42; 32]))?;
    let store: Arc<dyn KeyStore> = Arc::new(SledStore::open(&dir, Arc::new(Keyring::new(root, Vec::new())))?);
    let start = 1_800_000_000;
    let clock = Arc::new(SettableClock(AtomicI64::new(start)));
    let service = Service::new(store.clone(), clock.clone(), ServiceConfig::default());
    let policy = |days: u32| RotationPolicy { enabled: true, interval_days: days, ..RotationPolicy::default() };

    // The due ones first, made 30 days ago with a 30-day interval; the rest now, yearly.
    let filled = Instant::now();
    let mut made = 0;
    while made < cmks {
        let n = FILL_BATCH.min(cmks - made);
        let (at, days) = if made < due { (start - 30 * DAY, 30) } else { (start, 365) };
        let n = if made < due { n.min(due - made) } else { n };
        clock.0.store(at, Ordering::Relaxed);
        let specs = (made..made + n)
            .map(|i| NewCmk {
                project: "bench".into(),
                owner: "CN=bench".into(),
                alias: format!("bench-{i}"),
                description: String::new(),
            })
            .collect();
        service.create_cmks(specs, policy(days))?;
        made += n;
        if made % 100_000 < n {
            eprintln!("  {made} CMKs");
        }
    }
    let fill_seconds = filled.elapsed().as_secs_f64();

    clock.0.store(start + 1, Ordering::Relaxed);
    let swept = Instant::now();
    let mut rotated = 0;
    loop {
        let n = service.rotation_sweep(BATCH)?;
        rotated += n;
        if n < BATCH {
            break;
        }
    }
    let sweep_seconds = swept.elapsed().as_secs_f64();
    let left = store.due_cmks(start + 1, 1)?.len();
    println!(
        "{{\"cmks\": {cmks}, \"due\": {due}, \"rotated\": {rotated}, \"still_due\": {left}, \
         \"fill_seconds\": {fill_seconds:.1}, \"sweep_seconds\": {sweep_seconds:.2}, \
         \"rotations_per_second\": {:.0}}}",
        rotated as f64 / sweep_seconds
    );
    Ok(())
}
