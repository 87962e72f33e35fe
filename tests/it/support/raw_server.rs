//! A scripted raw-TCP HTTP/1.1 server on 127.0.0.1 that can misbehave in
//! any way a test writes (the `hardening_*` tests' server).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The most bytes of a request head the server reads.
const MAX_HEAD: usize = 64 * 1024;

/// One request as the server read it: the request line and the headers.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// Everything up to the blank line, as text.
    pub head: String,
}

impl RawRequest {
    /// The request target (`/2/connections?...`).
    pub fn target(&self) -> &str {
        self.head
            .lines()
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .unwrap_or_default()
    }

    /// A header's value (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// A query parameter's raw (still percent-encoded) value.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        let (_, query) = self.target().split_once('?')?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == name).then_some(v)
        })
    }
}

/// An accepted connection whose request head has been read.
pub struct Conn {
    /// The socket.
    pub stream: TcpStream,
    /// What the client sent.
    pub request: RawRequest,
    /// 0 for the first request the server read, 1 for the second...
    pub index: usize,
}

impl Conn {
    /// Write all of `bytes`; the count actually accepted by the socket goes
    /// to `written` even when the peer goes away halfway.
    pub async fn write_counted(&mut self, bytes: &[u8], written: &AtomicUsize) -> io::Result<()> {
        let mut rest = bytes;
        while !rest.is_empty() {
            self.stream.writable().await?;
            match self.stream.try_write(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    written.fetch_add(n, Ordering::SeqCst);
                    rest = &rest[n..];
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Write all of `bytes`.
    pub async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_counted(bytes, &AtomicUsize::new(0)).await
    }

    /// Answer with a complete response (`Content-Length`, `Connection:
    /// close`) and close. Write errors are ignored: the client may have gone.
    pub async fn respond(mut self, status: u16, headers: &[(&str, &str)], body: &[u8]) {
        let _ = self.write(&response_bytes(status, headers, body)).await;
    }
}

/// A complete HTTP/1.1 response with `Content-Length` and `Connection: close`.
pub fn response_bytes(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = head_bytes(status, headers);
    // head_bytes ends with the blank line; put the length before it.
    out.truncate(out.len() - 2);
    out.extend(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .bytes(),
    );
    out.extend_from_slice(body);
    out
}

/// A status line and headers, ended by the blank line (no `Content-Length`).
pub fn head_bytes(status: u16, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} Whatever\r\n").into_bytes();
    for (name, value) in headers {
        out.extend(format!("{name}: {value}\r\n").bytes());
    }
    out.extend(b"\r\n");
    out
}

/// A raw HTTP/1.1 server on 127.0.0.1 running `handler` for every request.
/// Dropping it stops the server and every connection task it started.
pub struct RawServer {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<RawRequest>>>,
    task: JoinHandle<()>,
}

impl RawServer {
    /// Start on a free port.
    pub async fn start<F, Fut>(handler: F) -> Self
    where
        F: Fn(Conn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self::start_with(None, handler).await
    }

    /// Start on a free port, with the accepted sockets' send buffer set to
    /// `send_buffer` bytes when given (so "bytes written" is close to
    /// "bytes the client took").
    pub async fn start_with<F, Fut>(send_buffer: Option<u32>, handler: F) -> Self
    where
        F: Fn(Conn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let socket = TcpSocket::new_v4().expect("socket");
        if let Some(size) = send_buffer {
            // Accepted sockets inherit it from the listener on Linux.
            socket.set_send_buffer_size(size).expect("SO_SNDBUF");
        }
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind 127.0.0.1");
        let listener = socket.listen(128).expect("listen");
        let addr = listener.local_addr().expect("local addr");
        let hits = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);
        let task = {
            let hits = hits.clone();
            let requests = requests.clone();
            tokio::spawn(async move {
                let mut tasks = JoinSet::new();
                loop {
                    let Ok((mut stream, _)) = listener.accept().await else {
                        continue;
                    };
                    while tasks.try_join_next().is_some() {}
                    let hits = hits.clone();
                    let requests = requests.clone();
                    let handler = handler.clone();
                    tasks.spawn(async move {
                        let Some(head) = read_head(&mut stream).await else {
                            return;
                        };
                        let request = RawRequest { head };
                        requests.lock().unwrap().push(request.clone());
                        let index = hits.fetch_add(1, Ordering::SeqCst);
                        handler(Conn {
                            stream,
                            request,
                            index,
                        })
                        .await;
                    });
                }
            })
        };
        Self {
            addr,
            hits,
            requests,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests read so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The requests read so far, in order.
    pub fn requests(&self) -> Vec<RawRequest> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Read up to the end of the request head; `None` if the peer closed or
/// sent more than [`MAX_HEAD`] bytes without one.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(end);
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        stream.readable().await.ok()?;
        match stream.try_read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return None,
        }
    }
}
