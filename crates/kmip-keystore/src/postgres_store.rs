//! The shared store, on PostgreSQL: what several kmipd nodes run on when one machine is not
//! enough or must not be the single point of failure.
//!
//! The connection is TLS (rustls) when a CA is configured to verify the server against.
//! The same contract as [`crate::SledStore`]: one commit is one PostgreSQL transaction, so an
//! object and its index entries change together, and it returns once PostgreSQL has
//! committed it (`synchronous_commit`, on by default, makes that durable; PostgreSQL shares
//! the WAL flush between concurrent commits). Object and side-API records are sealed under
//! the [`Keyring`] exactly as on sled, so the database alone reveals no key material.
//!
//! What several nodes add:
//! - CMK writes check the record's revision under a row lock (`SELECT … FOR UPDATE`), so of
//!   two nodes that read one record, one writes it ([`StoreError::Conflict`] for the other);
//! - a lease row with an expiry, on the database's clock, elects the node that runs the
//!   rotation scheduler ([`KeyStore::lease`]);
//! - the schema migrates at start-up under an advisory lock, so nodes that start together
//!   do not race.

use std::time::Duration;

use postgres::Transaction;
use postgres::config::SslMode;
use postgres::error::SqlState;
use postgres::types::Json;
use r2d2_postgres::PostgresConnectionManager;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::seal::{Domain, Keyring};
use crate::{Change, CmkRecord, IndexKey, KeyStore, Listing, ResealStep, StoreError, StoredObject};

type Pool = r2d2::Pool<PostgresConnectionManager<MakeRustlsConnect>>;
type Connection = r2d2::PooledConnection<PostgresConnectionManager<MakeRustlsConnect>>;

/// The schema, one step per version; [`migrate`] applies those a database lacks, in order.
/// Text keys use the "C" collation: identifiers sort as bytes, as on sled, so that cursors
/// mean the same on both stores.
const MIGRATIONS: &[&str] = &[
    // 1: objects, their index entries, CMKs, side-API records, leases.
    r#"
    CREATE TABLE kmip_objects (uid text COLLATE "C" PRIMARY KEY, record bytea NOT NULL);
    CREATE TABLE kmip_object_index (
        entry bytea NOT NULL,
        uid text COLLATE "C" NOT NULL,
        PRIMARY KEY (entry, uid)
    );
    CREATE INDEX kmip_object_index_by_uid ON kmip_object_index (uid);
    CREATE TABLE kmip_cmks (
        key_id text COLLATE "C" PRIMARY KEY,
        project text COLLATE "C" NOT NULL,
        due_at bigint,
        revision bigint NOT NULL,
        record jsonb NOT NULL
    );
    CREATE INDEX kmip_cmks_by_due ON kmip_cmks (due_at, key_id) WHERE due_at IS NOT NULL;
    CREATE INDEX kmip_cmks_by_project ON kmip_cmks (project, key_id);
    CREATE TABLE kmip_meta (name text COLLATE "C" PRIMARY KEY, record bytea NOT NULL);
    CREATE TABLE kmip_leases (name text PRIMARY KEY, holder text NOT NULL, expires_at timestamptz NOT NULL);
    CREATE TABLE kmip_settings (name text PRIMARY KEY, value bytea NOT NULL);
    "#,
    // 2: objects' revisions, beside their sealed records, for updates to check.
    "ALTER TABLE kmip_objects ADD COLUMN revision bigint NOT NULL DEFAULT 0;",
];

/// The advisory lock key under which start-up migrations run ("kmip" in ASCII).
const MIGRATION_LOCK: i64 = 0x6b6d_6970;

/// How many times a commit is tried when PostgreSQL reports a serialization failure or a
/// deadlock, both of which mean "nothing was applied; try again".
const ATTEMPTS: u32 = 10;

/// A random pause before the next attempt, longer each time: two writers that deadlocked
/// must not collide again in lockstep.
fn backoff(attempt: u32) {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut byte = [0u8; 2];
    let _ = SystemRandom::new().fill(&mut byte);
    let spread = u64::from(u16::from_be_bytes(byte)) % (5 * u64::from(attempt) + 1);
    std::thread::sleep(Duration::from_millis(1 + spread));
}

/// Where to find the database and how many connections to hold.
#[derive(Clone)]
pub struct PostgresOptions {
    /// A libpq-style connection string or `postgresql://` URL. It may carry a password,
    /// so it never prints.
    pub url: String,
    /// The most connections this node holds.
    pub pool_size: u32,
    /// CA certificates (PEM) to verify the server against. Given, the connection is TLS
    /// (rustls, ring) and must verify, whatever the URL's `sslmode`; not given, it is plain,
    /// and a URL that asks for `sslmode=require` is refused rather than left unverified.
    pub ca: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresOptions")
            .field("url", &"<redacted>")
            .field("pool_size", &self.pool_size)
            .field("ca", &self.ca)
            .finish()
    }
}

/// A [`KeyStore`] in a PostgreSQL database that several nodes may share.
pub struct PostgresStore {
    /// Always `Some` until drop (see the `Drop` impl).
    pool: Option<Pool>,
    keyring: std::sync::Arc<Keyring>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

/// The driver's message, without the connection string (which may hold a password).
fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("postgres: {e}"))
}

/// An error and the errors beneath it: "error performing TLS handshake: invalid peer
/// certificate: UnknownIssuer".
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn retryable(e: &postgres::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

fn revision(record: &CmkRecord) -> Result<i64, StoreError> {
    revision_of(record.revision)
}

fn revision_of(revision: u64) -> Result<i64, StoreError> {
    i64::try_from(revision).map_err(|_| backend("revision out of range"))
}

/// A commit's failure: either the database's, which may be worth a retry, or the store's.
enum Failure {
    Db(postgres::Error),
    Store(StoreError),
}

impl From<postgres::Error> for Failure {
    fn from(e: postgres::Error) -> Self {
        Failure::Db(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

/// A pool of at most `size` connections, one of them made now, so that a wrong URL or an
/// unreachable server fails the start with the driver's reason.
fn connect(options: &PostgresOptions, size: u32) -> Result<Pool, StoreError> {
    let mut config: postgres::Config =
        options.url.parse().map_err(|e| backend(format!("the store URL does not parse: {e}")))?;
    let mut roots = rustls::RootCertStore::empty();
    match &options.ca {
        Some(path) => {
            let failed = |e: &dyn std::fmt::Display| backend(format!("the CA file {}: {e}", path.display()));
            for cert in CertificateDer::pem_file_iter(path).map_err(|e| failed(&e))? {
                roots.add(cert.map_err(|e| failed(&e))?).map_err(|e| failed(&e))?;
            }
            if roots.is_empty() {
                return Err(failed(&"no certificate in it"));
            }
            config.ssl_mode(SslMode::Require);
        }
        None if config.get_ssl_mode() == SslMode::Require => {
            return Err(backend("sslmode=require needs [store.postgres] ca, to verify the server against"));
        }
        // Not `prefer`: with no CA to verify against, an attempted handshake could only fail.
        None => {
            config.ssl_mode(SslMode::Disable);
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(backend)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls = MakeRustlsConnect::new(tls);
    // One connection first, on its own: a wrong URL, an unreachable server or a certificate
    // that does not verify fails the start at once, with the whole reason (the pool would
    // retry until its timeout and keep only the outermost message).
    config.connect(tls.clone()).map_err(|e| backend(format!("cannot connect: {}", with_causes(&e))))?;
    r2d2::Pool::builder()
        .max_size(size.max(1))
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(10))
        .build(PostgresConnectionManager::new(config, tls))
        .map_err(|e| backend(format!("cannot connect: {e}")))
}

/// Applies the schema steps the database lacks, one transaction under an advisory lock.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let mut tx = conn.transaction().map_err(backend)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(backend)?;
    // "already exists, skipping" on every start is not news.
    tx.batch_execute("SET LOCAL client_min_messages = warning").map_err(backend)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS kmip_schema (version integer NOT NULL)").map_err(backend)?;
    let version: Option<i32> = tx.query_one("SELECT max(version) FROM kmip_schema", &[]).map_err(backend)?.get(0);
    let version = usize::try_from(version.unwrap_or(0)).map_err(backend)?;
    if version > MIGRATIONS.len() {
        return Err(backend(format!(
            "the database's schema is version {version}, newer than this kmipd knows ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.batch_execute(step).map_err(backend)?;
        let applied = i32::try_from(i + 1).map_err(backend)?;
        tx.execute("INSERT INTO kmip_schema (version) VALUES ($1)", &[&applied]).map_err(backend)?;
        tracing::info!(version = applied, "postgres schema migrated");
    }
    tx.commit().map_err(backend)
}

impl PostgresStore {
    /// Connects, migrates the schema, and refuses a database whose records the keyring
    /// cannot open, as [`crate::SledStore::open`] does for a data dir.
    pub fn open(options: &PostgresOptions, keyring: std::sync::Arc<Keyring>) -> Result<Self, StoreError> {
        let pool = connect(options, options.pool_size)?;
        let store = PostgresStore { pool: Some(pool), keyring };
        migrate(&mut store.conn()?)?;
        let first = store.conn()?.query_opt("SELECT uid, record FROM kmip_objects LIMIT 1", &[]).map_err(backend)?;
        if let Some(row) = first {
            let (uid, record): (String, Vec<u8>) = (row.get(0), row.get(1));
            store
                .keyring
                .open_object(&uid, &record)
                .map_err(|e| StoreError::Backend(format!("the configured root keys do not open this database: {e}")))?;
        }
        Ok(store)
    }

    /// Whether the connection crosses a network in the clear: no CA (so no TLS) and a host
    /// other than a Unix socket or a loopback address. Key material is sealed before it
    /// leaves either way, CMK metadata is not; kmipd warns when this is true.
    pub fn plain_across_a_network(options: &PostgresOptions) -> bool {
        let Ok(config) = options.url.parse::<postgres::Config>() else { return false };
        if options.ca.is_some() {
            return false;
        }
        config.get_hosts().iter().any(|host| match host {
            postgres::config::Host::Tcp(name) => {
                name != "localhost" && !name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
            }
            #[cfg(unix)]
            postgres::config::Host::Unix(_) => false,
        })
    }

    /// A setting every node must agree on (a passphrase's salt, which no secret): the stored
    /// value, or `candidate` if this node is the first to ask. It migrates the schema first:
    /// it runs before [`PostgresStore::open`], which needs the root key the salt makes.
    pub fn shared_setting(options: &PostgresOptions, name: &str, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
        // Called off the async threads, like every store call, so the pool may drop here.
        let pool = connect(options, 1)?;
        let mut conn = pool.get().map_err(|e| backend(format!("no connection: {e}")))?;
        migrate(&mut conn)?;
        conn.execute(
            "INSERT INTO kmip_settings (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&name, &candidate],
        )
        .map_err(backend)?;
        let row = conn.query_one("SELECT value FROM kmip_settings WHERE name = $1", &[&name]).map_err(backend)?;
        Ok(row.get(0))
    }

    fn conn(&self) -> Result<Connection, StoreError> {
        let pool = self.pool.as_ref().ok_or_else(|| backend("the store is closed"))?;
        pool.get().map_err(|e| backend(format!("no connection: {e}")))
    }

    /// Runs `body` in a transaction, again on a serialization failure or a deadlock.
    fn transaction<T>(
        &self,
        mut body: impl FnMut(&mut Transaction<'_>) -> Result<T, Failure>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = conn.transaction().map_err(Failure::Db).and_then(|mut tx| {
                let value = body(&mut tx)?;
                tx.commit()?;
                Ok(value)
            });
            match result {
                Ok(value) => return Ok(value),
                Err(Failure::Db(e)) if retryable(&e) && attempt < ATTEMPTS => {
                    tracing::debug!(attempt, "postgres: retrying a commit after {}", with_causes(&e));
                    backoff(attempt);
                }
                Err(Failure::Db(e)) => return Err(backend(with_causes(&e))),
                Err(Failure::Store(e)) => return Err(e),
            }
        }
    }

    fn apply(keyring: &Keyring, tx: &mut Transaction<'_>, change: &Change) -> Result<(), Failure> {
        match change {
            Change::Insert(object) => {
                let record = keyring.seal_object(object)?;
                let n = tx.execute(
                    "INSERT INTO kmip_objects (uid, record, revision) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[&object.uid, &record, &revision_of(object.revision)?],
                )?;
                if n == 0 {
                    return Err(StoreError::Exists(object.uid.clone()).into());
                }
                Self::put_index(tx, object)
            }
            Change::Update(object) => {
                let updated = object.updated();
                let record = keyring.seal_object(&updated)?;
                let (read, next) = (revision_of(object.revision)?, revision_of(updated.revision)?);
                let n = tx.execute(
                    "UPDATE kmip_objects SET record = $2, revision = $3 WHERE uid = $1 AND revision = $4",
                    &[&object.uid, &record, &next, &read],
                )?;
                if n == 0 {
                    let held = tx.query_opt("SELECT revision FROM kmip_objects WHERE uid = $1", &[&object.uid])?;
                    return Err(match held {
                        Some(row) => StoreError::Conflict(format!(
                            "object {} changed meanwhile (revision {}, the update read {read})",
                            object.uid,
                            row.get::<_, i64>(0)
                        )),
                        None => backend(format!("object {} vanished", object.uid)),
                    }
                    .into());
                }
                tx.execute("DELETE FROM kmip_object_index WHERE uid = $1", &[&object.uid])?;
                Self::put_index(tx, object)
            }
            Change::PutCmk(record) => {
                let held =
                    tx.query_opt("SELECT record FROM kmip_cmks WHERE key_id = $1 FOR UPDATE", &[&record.key_id])?;
                let held = held.map(|row| row.get::<_, Json<CmkRecord>>(0).0);
                let next = record.next_revision(held.as_ref())?;
                let (due, rev) = (next.due_at(), revision(&next)?);
                let n = tx.execute(
                    "INSERT INTO kmip_cmks (key_id, project, due_at, revision, record) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (key_id) DO UPDATE SET project = $2, due_at = $3, revision = $4, record = $5 \
                     WHERE kmip_cmks.revision = $4 - 1",
                    &[&next.key_id, &next.project, &due, &rev, &Json(&next)],
                )?;
                if n == 0 {
                    // A concurrent first write of the same new key id.
                    return Err(StoreError::Conflict(format!("key {} was created meanwhile", next.key_id)).into());
                }
                Ok(())
            }
            Change::PutMeta { key, value } => {
                let sealed = keyring.seal(Domain::Meta, key, value)?;
                tx.execute(
                    "INSERT INTO kmip_meta (name, record) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET record = EXCLUDED.record",
                    &[key, &sealed],
                )?;
                Ok(())
            }
        }
    }

    fn put_index(tx: &mut Transaction<'_>, object: &StoredObject) -> Result<(), Failure> {
        let statement =
            tx.prepare("INSERT INTO kmip_object_index (entry, uid) VALUES ($1, $2) ON CONFLICT DO NOTHING")?;
        for index in IndexKey::all_for(object) {
            tx.execute(&statement, &[&index.prefix(), &object.uid])?;
        }
        Ok(())
    }

    fn strings(&self, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> Result<Vec<String>, StoreError> {
        let rows = self.conn()?.query(sql, params).map_err(backend)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// Seals one record again if it is stale, re-read under a row lock: a commit may have
    /// rewritten it meanwhile, and then it is current already.
    fn reseal_one(&self, domain: Domain, name: &str) -> Result<bool, StoreError> {
        let (select, update) = match domain {
            Domain::Object => (
                "SELECT record FROM kmip_objects WHERE uid = $1 FOR UPDATE",
                "UPDATE kmip_objects SET record = $2 WHERE uid = $1",
            ),
            Domain::Meta => (
                "SELECT record FROM kmip_meta WHERE name = $1 FOR UPDATE",
                "UPDATE kmip_meta SET record = $2 WHERE name = $1",
            ),
        };
        self.transaction(|tx| {
            let Some(row) = tx.query_opt(select, &[&name])? else { return Ok(false) };
            let record: Vec<u8> = row.get(0);
            let opened = self.keyring.open(domain, name, &record)?;
            if !opened.stale {
                return Ok(false);
            }
            let sealed = self.keyring.seal(domain, name, opened.plain.secret_bytes())?;
            tx.execute(update, &[&name, &sealed])?;
            Ok(true)
        })
    }
}

/// The r2d2 pool's connections close their own runtimes when dropped, which tokio forbids on
/// an async worker thread; a store dropped there hands its pool to a plain thread instead.
impl Drop for PostgresStore {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

/// Reseal cursors name a table and a key: `m<name>` (side-API records, first), then
/// `o<uid>`. Each is where the next step starts, inclusive.
const RESEAL_META: u8 = b'm';
const RESEAL_OBJECTS: u8 = b'o';

impl KeyStore for PostgresStore {
    fn get(&self, uid: &str) -> Result<Option<StoredObject>, StoreError> {
        let row = self.conn()?.query_opt("SELECT record FROM kmip_objects WHERE uid = $1", &[&uid]).map_err(backend)?;
        row.map(|row| self.keyring.open_object(uid, &row.get::<_, Vec<u8>>(0))).transpose()
    }

    fn commit(&self, changes: Vec<Change>) -> Result<(), StoreError> {
        self.transaction(|tx| {
            for change in &changes {
                Self::apply(&self.keyring, tx, change)?;
            }
            Ok(())
        })
    }

    /// One transaction, each commit under its own savepoint: a commit the store refuses (a
    /// collision, a stale revision) is rolled back to its savepoint alone, and the rest share
    /// one transaction commit, one WAL flush. A database failure retries or fails them all.
    fn commit_each(&self, commits: Vec<Vec<Change>>) -> Vec<Result<(), StoreError>> {
        let result = self.transaction(|tx| {
            let mut outcomes = Vec::with_capacity(commits.len());
            for changes in &commits {
                let mut each = tx.savepoint("each")?;
                match changes.iter().try_for_each(|change| Self::apply(&self.keyring, &mut each, change)) {
                    Ok(()) => {
                        each.commit()?;
                        outcomes.push(Ok(()));
                    }
                    Err(Failure::Store(refused)) => {
                        each.rollback()?;
                        outcomes.push(Err(refused));
                    }
                    Err(Failure::Db(e)) => return Err(Failure::Db(e)),
                }
            }
            Ok(outcomes)
        });
        match result {
            Ok(outcomes) => outcomes,
            Err(e) => {
                let reason = match e {
                    StoreError::Backend(reason) => reason,
                    other => other.to_string(),
                };
                commits.iter().map(|_| Err(StoreError::Backend(reason.clone()))).collect()
            }
        }
    }

    fn scan(&self, key: &IndexKey, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.strings(
            "SELECT uid FROM kmip_object_index WHERE entry = $1 AND uid > $2 ORDER BY uid LIMIT $3",
            &[&key.prefix(), &after.unwrap_or(""), &limit],
        )
    }

    fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = self.conn()?.query_one("SELECT count(*) FROM kmip_objects", &[]).map_err(backend)?.get(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn cmk(&self, key_id: &str) -> Result<Option<CmkRecord>, StoreError> {
        let row =
            self.conn()?.query_opt("SELECT record FROM kmip_cmks WHERE key_id = $1", &[&key_id]).map_err(backend)?;
        Ok(row.map(|row| row.get::<_, Json<CmkRecord>>(0).0))
    }

    fn scheduled_cmks(
        &self,
        after: Option<(i64, String)>,
        until: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let (at, key_id) = after.unwrap_or((i64::MIN, String::new()));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .conn()?
            .query(
                "SELECT due_at, key_id FROM kmip_cmks \
                 WHERE due_at IS NOT NULL AND due_at <= $1 AND (due_at, key_id) > ($2, $3) \
                 ORDER BY due_at, key_id LIMIT $4",
                &[&until, &at, &key_id, &limit],
            )
            .map_err(backend)?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self.conn()?.query_opt("SELECT record FROM kmip_meta WHERE name = $1", &[&key]).map_err(backend)?;
        match row {
            Some(row) => {
                let record: Vec<u8> = row.get(0);
                Ok(Some(self.keyring.open(Domain::Meta, key, &record)?.plain.secret_bytes().to_vec()))
            }
            None => Ok(None),
        }
    }

    fn project_cmks(&self, project: &str, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.strings(
            "SELECT key_id FROM kmip_cmks WHERE project = $1 AND key_id > $2 ORDER BY key_id LIMIT $3",
            &[&project, &after.unwrap_or(""), &limit],
        )
    }

    fn reseal(&self, from: Option<&[u8]>, limit: usize) -> Result<ResealStep, StoreError> {
        let from = from.unwrap_or(&[RESEAL_META]);
        let (table, domain) = match from.first() {
            Some(&RESEAL_META) => {
                ("SELECT name, record FROM kmip_meta WHERE name >= $1 ORDER BY name LIMIT $2", Domain::Meta)
            }
            Some(&RESEAL_OBJECTS) => {
                ("SELECT uid, record FROM kmip_objects WHERE uid >= $1 ORDER BY uid LIMIT $2", Domain::Object)
            }
            _ => return Err(backend("a reseal cursor this store did not make")),
        };
        let start = String::from_utf8_lossy(&from[1..]).into_owned();
        let fetch = i64::try_from(limit.max(1)).unwrap_or(i64::MAX).saturating_add(1);
        let rows = self.conn()?.query(table, &[&start, &fetch]).map_err(backend)?;
        let mut step = ResealStep { resealed: 0, next: None };
        for (i, row) in rows.iter().enumerate() {
            let (name, record): (String, Vec<u8>) = (row.get(0), row.get(1));
            if i >= limit.max(1) {
                step.next = Some([&from[..1], name.as_bytes()].concat());
                return Ok(step);
            }
            // Most records are current: tell from the header, and open only the stale ones.
            if self.keyring.is_stale(&record) && self.reseal_one(domain, &name)? {
                step.resealed += 1;
            }
        }
        if domain == Domain::Meta {
            step.next = Some(vec![RESEAL_OBJECTS]);
        }
        Ok(step)
    }

    fn list(&self, listing: Listing, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
        let sql = match listing {
            Listing::Objects => "SELECT uid FROM kmip_objects WHERE uid > $1 ORDER BY uid LIMIT $2",
            Listing::Cmks => "SELECT key_id FROM kmip_cmks WHERE key_id > $1 ORDER BY key_id LIMIT $2",
            Listing::Meta => "SELECT name FROM kmip_meta WHERE name > $1 ORDER BY name LIMIT $2",
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.strings(sql, &[&after.unwrap_or(""), &limit])
    }

    /// One row per lease, renewed by its holder and taken over by anyone once it has expired;
    /// expiry is judged on the database's clock, so the nodes' clocks need not agree.
    fn lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
        let seconds = ttl.as_secs_f64();
        let row = self
            .conn()?
            .query_opt(
                "INSERT INTO kmip_leases (name, holder, expires_at) \
                 VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3)) \
                 ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at \
                 WHERE kmip_leases.holder = EXCLUDED.holder OR kmip_leases.expires_at < clock_timestamp() \
                 RETURNING holder",
                &[&name, &holder, &seconds],
            )
            .map_err(backend)?;
        Ok(row.is_some())
    }
}
