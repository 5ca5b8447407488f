//! The KMIP listener: accept, cap, handshake, then one request at a time per connection.
//!
//! > KMIP 1.4 §8 / KMIP 2.1 §12 (Profiles, TLS): KMIP runs over TLS on port 5696; each
//! > request message is answered by one response message, in order.
//!
//! Framing reads the 8-byte TTLV header first and checks the message length against the cap
//! before reading (or allocating) the body. A framing failure closes that connection only; a
//! request that frames always gets a KMIP response.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kmip_ops::{AuthenticatedClient, Service};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout};
use ttlv::{HEADER_LEN, Limits, message_len};
use zeroize::Zeroizing;

use crate::config::LimitsConfig;

/// What every connection shares.
pub(crate) struct Shared {
    pub(crate) service: Arc<Service>,
    pub(crate) committer: Arc<crate::committer::Committer>,
    pub(crate) audit: crate::audit::Audit,
    pub(crate) tls: Arc<crate::tls::TlsState>,
    pub(crate) limits: LimitsConfig,
    pub(crate) connections: Arc<Semaphore>,
    pub(crate) clients: Arc<crate::clients::ClientRegistry>,
}

/// Accepts connections until `shutdown` flips, then waits for the open ones to finish their
/// current request.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    // Out of file descriptors and the like: the listener itself is fine.
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(permit) = shared.connections.clone().try_acquire_owned() else {
                    tracing::warn!(%peer, "connection refused: at the connection limit");
                    drop(stream);
                    continue;
                };
                let shared = shared.clone();
                let shutdown = shutdown.clone();
                tasks.spawn(async move {
                    if let Err(e) = connection(stream, peer, &shared, shutdown).await {
                        tracing::debug!(%peer, error = %e, "connection closed");
                    }
                    drop(permit);
                });
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    while tasks.join_next().await.is_some() {}
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_owned())
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    mut shutdown: watch::Receiver<bool>,
) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let limits = &shared.limits;
    let mut tls =
        timeout(Duration::from_millis(limits.handshake_timeout_ms), shared.tls.kmip_acceptor().accept(stream))
            .await
            .map_err(|_| timed_out("TLS handshake"))??;
    let Some(client) = AuthenticatedClient::from_connection(tls.get_ref().1) else {
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, "no verified client certificate"));
    };
    tracing::debug!(%peer, ?client, "client connected");
    let decode_limits = Limits { max_message_size: limits.max_message_size, ..Limits::default() };
    let (idle, read_deadline) =
        (Duration::from_millis(limits.idle_timeout_ms), Duration::from_millis(limits.read_timeout_ms));
    // One timer for the connection's life, moved for each wait: a `timeout` per wait would
    // register and remove a timer entry twice per request.
    let deadline = tokio::time::sleep(idle);
    tokio::pin!(deadline);
    loop {
        let mut header = [0u8; HEADER_LEN];
        // Idle: wait for the first byte of the next request, or for shutdown.
        deadline.as_mut().reset(Instant::now() + idle);
        tokio::select! {
            _ = shutdown.changed() => return Ok(()),
            () = &mut deadline => return Err(timed_out("idle")),
            first = tls.read(&mut header[..1]) => {
                if first? == 0 {
                    return Ok(()); // the client closed
                }
            }
        }
        // A request has begun: all of it must arrive within the read timeout (slowloris).
        deadline.as_mut().reset(Instant::now() + read_deadline);
        let read = async {
            tls.read_exact(&mut header[1..]).await?;
            let len = message_len(&header, &decode_limits)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            let mut message = vec![0u8; len];
            message[..HEADER_LEN].copy_from_slice(&header);
            tls.read_exact(&mut message[HEADER_LEN..]).await?;
            Ok::<_, io::Error>(Zeroizing::new(message))
        };
        let body = tokio::select! {
            () = &mut deadline => return Err(timed_out("reading a request")),
            body = read => body?,
        };
        let request = shared.service.decode(&body);
        drop(body);
        let served = if shared.service.serves_inline(&request) {
            shared.service.serve_deferring(&client, request)
        } else {
            // Another write waits for its flush to disk, a remote store for the network, and
            // an RSA operation takes milliseconds: run those off the async threads.
            let service = shared.service.clone();
            let client_for_op = client.clone();
            tokio::task::spawn_blocking(move || service.serve_deferring(&client_for_op, request))
                .await
                .map_err(|e| io::Error::other(format!("request handler failed: {e}")))?
        };
        let kmip_ops::Served { mut response, mut outcomes, commit } = served;
        // A response that promises new objects goes out once they are durable.
        if let Some(commit) = commit {
            let (changes, refusal) = commit.into_parts();
            if let Err(e) = shared.committer.commit(changes).await {
                (response, outcomes) = shared.service.refused(refusal, e);
            }
        }
        for outcome in &outcomes {
            shared.audit.kmip(client.subject(), outcome);
        }
        shared.clients.record(&client, &outcomes, shared.service.now());
        tls.write_all(&response).await?;
        tls.flush().await?;
        // Requests and responses may carry key material: wipe them before their memory goes.
        drop(Zeroizing::new(response));
    }
}
