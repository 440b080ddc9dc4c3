//! Which other web origins may call the API from a browser.
//!
//! orchestrator-ui runs on its own origin (`http://localhost:3000`) and calls the API on
//! another (`:8080`), so a browser asks the API first whether that origin may read its answers
//! and send JSON. Nothing is allowed unless the user lists origins: `serve --allow-origin
//! http://localhost:3000` (repeatable), or `ORCH_ALLOW_ORIGINS` with commas between origins;
//! `*` allows every origin, and only when given on purpose. orchestrator-core itself defaults to
//! `*` (`CORS_ORIGINS`); orch does not, since an API on a laptop or a management network
//! should not be readable by every page a browser on that machine opens.

use axum::http::{HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// An origin that cannot be allowed, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot allow origin {origin:?}: {reason} (an origin is scheme://host[:port], e.g. http://localhost:3000, or * for every origin)"
)]
pub struct OriginError {
    /// The origin as given.
    pub origin: String,
    /// Why it is refused.
    pub reason: &'static str,
}

/// The CORS layer for `origins`, or `None` when the list is empty (then no browser on another
/// origin may read the API). The methods are the ones orchestrator-ui uses (`GET`, `POST`,
/// `PATCH`), and the request headers it sends (`Content-Type`, `Authorization`, and the
/// `If-Match`/`If-None-Match` orchestrator-core also allows).
pub fn cors(origins: &[String]) -> Result<Option<CorsLayer>, OriginError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.iter().any(|o| o.trim() == "*") {
        if origins.len() > 1 {
            return Err(OriginError {
                origin: "*".into(),
                reason: "* allows every origin, so it cannot be listed with others",
            });
        }
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|o| origin(o))
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(values)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::PATCH])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                header::IF_MATCH,
                header::IF_NONE_MATCH,
            ]),
    ))
}

/// `scheme://host[:port]`, as a browser sends it in `Origin`: no path, no trailing slash, so
/// that a listed origin matches the header byte for byte.
fn origin(given: &str) -> Result<HeaderValue, OriginError> {
    let refuse = |reason| OriginError {
        origin: given.to_owned(),
        reason,
    };
    let o = given.trim();
    let rest = o
        .strip_prefix("http://")
        .or_else(|| o.strip_prefix("https://"))
        .ok_or_else(|| refuse("it does not start with http:// or https://"))?;
    if rest.is_empty() {
        return Err(refuse("it has no host"));
    }
    if rest.contains('/') {
        return Err(refuse("an origin has no path, not even a trailing /"));
    }
    if rest.contains(|c: char| c.is_whitespace() || c == '?' || c == '#' || c == '@') {
        return Err(refuse("it is not a host and port"));
    }
    HeaderValue::from_str(o).map_err(|_| refuse("it is not a valid header value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_before_serving() {
        assert!(cors(&[]).unwrap().is_none(), "nothing open by default");
        assert!(cors(&["http://localhost:3000".into()]).unwrap().is_some());
        assert!(cors(&["*".into()]).unwrap().is_some());
        for (bad, reason) in [
            ("localhost:3000", "http://"),
            ("http://localhost:3000/", "no path"),
            ("http://", "no host"),
            ("https://ui.example.org/app", "no path"),
        ] {
            let e = cors(&[bad.into()]).unwrap_err().to_string();
            assert!(e.contains(reason) && e.contains(bad), "{bad}: {e}");
        }
        let e = cors(&["*".into(), "http://a".into()]).unwrap_err();
        assert!(
            e.to_string().contains("cannot be listed with others"),
            "{e}"
        );
    }
}
