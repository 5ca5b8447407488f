//! One mutual-TLS KMIP connection on the async runtime: connect, then send a request and read
//! its framed response, one at a time (KMIP 1.4 §8: each request is answered, in order).
//!
//! Why async, when `kmipctl`'s [`kmip_cli::Client`] is blocking: a load generator holds many
//! connections on few cores, and the server under test shares those cores. A thread per
//! connection sleeps in `recv` after every request, so every response costs a thread wake-up,
//! paid on both sides (the server's `send` runs the kernel's wake-up of the client's thread).
//! A few runtime threads that stay busy across many connections mostly find their next
//! response already there, which is also how a remote client's load looks to the server.

use std::sync::Arc;
use std::time::Duration;

use kmip_cli::Endpoint;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use ttlv::{HEADER_LEN, Limits, message_len};

/// How long a connection, or one request's response, may take before the client gives up.
const PATIENCE: Duration = Duration::from_secs(30);

/// A connected client.
pub(crate) struct Connection {
    tls: TlsStream<TcpStream>,
}

impl Connection {
    /// Connects and completes the TLS handshake.
    pub(crate) async fn open(endpoint: &Endpoint, config: Arc<rustls::ClientConfig>) -> Result<Self, String> {
        let name = ServerName::try_from(endpoint.host.clone()).map_err(|e| format!("server name: {e}"))?;
        let connect = async {
            let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await?;
            tcp.set_nodelay(true)?;
            TlsConnector::from(config).connect(name, tcp).await
        };
        let tls = tokio::time::timeout(PATIENCE, connect)
            .await
            .map_err(|_| "connect: timed out".to_string())?
            .map_err(|e| format!("connect: {e}"))?;
        Ok(Connection { tls })
    }

    /// Sends one request and reads its response.
    pub(crate) async fn round_trip(&mut self, request: &[u8]) -> Result<Vec<u8>, String> {
        let exchange = async {
            self.tls.write_all(request).await?;
            self.tls.flush().await?;
            let mut header = [0u8; HEADER_LEN];
            self.tls.read_exact(&mut header).await?;
            let len = message_len(&header, &Limits::default())
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
            let mut message = vec![0u8; len];
            message[..HEADER_LEN].copy_from_slice(&header);
            self.tls.read_exact(&mut message[HEADER_LEN..]).await?;
            Ok::<_, std::io::Error>(message)
        };
        tokio::time::timeout(PATIENCE, exchange)
            .await
            .map_err(|_| "transport: no response in time".to_string())?
            .map_err(|e| format!("transport: {e}"))
    }
}
