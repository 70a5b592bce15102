//! The refusals actix-http's HTTP/1 dispatcher writes itself, before any application code
//! runs: 400 for a request it cannot parse, 408 for headers that do not arrive in time,
//! 413 and 431 for a head too large. It writes them with an empty body and offers no hook,
//! so a connection's stream is wrapped and such a response, recognised by its head, is
//! rewritten on its way out into problem+json like every other error.

use crate::http::problem::PROBLEM_JSON;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection whose bare refusals leave as problem+json.
pub struct ProblemStream<S> {
    inner: S,
    /// A rewritten response still being written, how much of it is out, and how many
    /// bytes of the dispatcher's buffer it stands for.
    rewriting: Option<(Vec<u8>, usize, usize)>,
}

impl<S> ProblemStream<S> {
    pub fn new(inner: S) -> Self {
        Self { inner, rewriting: None }
    }
}

/// The statuses the dispatcher answers by itself, with what to say.
fn refusal(status: u16) -> Option<(&'static str, &'static str)> {
    match status {
        400 => Some(("bad-request", "the request is not valid HTTP")),
        408 => Some(("request-timeout", "the request did not arrive in time")),
        413 => Some(("payload-too-large", "the request is too large")),
        431 => Some(("request-header-fields-too-large", "the request's headers are too large")),
        _ => None,
    }
}

/// `buf` rewritten, if it starts with one of the dispatcher's bare refusals: a head with
/// one of [`refusal`]'s statuses, no content type and `content-length: 0`. The application
/// never answers so (its errors all have a problem body), so nothing else matches.
fn rewritten(buf: &[u8]) -> Option<Vec<u8>> {
    // Every write passes here: only a head with a 4xx status is looked at any further.
    if !buf.starts_with(b"HTTP/1.1 4") {
        return None;
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let (slug, detail) = refusal(status)?;
    let headers: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let named = |name: &str| headers.iter().find(|h| h.split(':').next().is_some_and(|n| n.eq_ignore_ascii_case(name)));
    if named("content-type").is_some() || named("content-length").is_none_or(|h| !h.ends_with(": 0")) {
        return None;
    }
    let title = status_line.get(13..).unwrap_or("Error");
    let body = serde_json::json!({
        "type": format!("tag:peiyu,2026:problem/{slug}"),
        "title": title,
        "status": status,
        "detail": detail,
    })
    .to_string();
    let mut out = format!("{status_line}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\n", body.len());
    for header in headers.iter().filter(|h| !h.to_ascii_lowercase().starts_with("content-length:")) {
        out.push_str(header);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&body);
    let mut out = out.into_bytes();
    out.extend_from_slice(&buf[end..]);
    Some(out)
}

impl<S: AsyncRead + Unpin> AsyncRead for ProblemStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ProblemStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.rewriting.is_none() {
            match rewritten(buf) {
                Some(out) => this.rewriting = Some((out, 0, buf.len())),
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        // The dispatcher calls again with the same buffer until it hears it was written.
        while let Some((out, written, stands_for)) = &mut this.rewriting {
            if *written == out.len() {
                let stands_for = *stands_for;
                this.rewriting = None;
                return Poll::Ready(Ok(stands_for));
            }
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &out[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_dispatchers_bare_refusals_are_rewritten() {
        let bare = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\ndate: Wed, 02 Dec 2026 07:03:49 GMT\r\n\r\n";
        let out = String::from_utf8(rewritten(bare).expect("rewritten")).expect("utf-8");
        let (head, body) = out.split_once("\r\n\r\n").expect("a head");
        assert!(head.starts_with("HTTP/1.1 408 Request Timeout\r\ncontent-type: application/problem+json\r\n"));
        assert!(head.contains(&format!("content-length: {}", body.len())) && head.contains("connection: close"));
        let problem: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!((problem["status"].as_u64(), problem["title"].as_str()), (Some(408), Some("Request Timeout")));
        // The application's own answers pass untouched: they have a type, or a body.
        assert!(
            rewritten(
                b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 0\r\n\r\n"
            )
            .is_none()
        );
        assert!(rewritten(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n").is_none());
        assert!(rewritten(b"HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /api/docs/\r\n\r\n").is_none());
        assert!(rewritten(b"{\"items\": []}").is_none());
    }
}
