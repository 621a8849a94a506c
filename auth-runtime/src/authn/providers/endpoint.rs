//! An API endpoint under a configured base URL, for the providers that call one.

/// `base` with `path` appended to its path: a trailing `/` of `base` does not
/// double, a path prefix of `base` (a proxy's) is kept, and any query or
/// fragment of `base` is dropped. `path` starts with `/`.
pub(super) fn join(base: &str, path: &str) -> Result<reqwest::Url, String> {
    let mut url = reqwest::Url::parse(base).map_err(|e| format!("not a URL: {e}"))?;
    if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    let joined = format!("{}{path}", url.path().trim_end_matches('/'));
    url.set_path(&joined);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::join;

    const REVIEW: &str = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

    fn joined(base: &str, path: &str) -> String {
        join(base, path).map(String::from).unwrap_or_else(|e| e)
    }

    #[test]
    fn with_or_without_a_trailing_slash() {
        for base in ["https://k8s.example:6443", "https://k8s.example:6443/"] {
            assert_eq!(
                joined(base, REVIEW),
                "https://k8s.example:6443/apis/authentication.k8s.io/v1/selfsubjectreviews"
            );
        }
        for base in [
            "https://api.github.com",
            "https://api.github.com/",
            "https://api.github.com//",
        ] {
            assert_eq!(joined(base, "/user"), "https://api.github.com/user");
        }
    }

    #[test]
    fn keeps_a_path_prefix_and_drops_query_and_fragment() {
        assert_eq!(
            joined("https://ghe.example/api/v3/", "/user/orgs"),
            "https://ghe.example/api/v3/user/orgs"
        );
        assert_eq!(
            joined("http://127.0.0.1:8080/k8s/clusters/c1?x=1#f", REVIEW),
            "http://127.0.0.1:8080/k8s/clusters/c1/apis/authentication.k8s.io/v1/selfsubjectreviews"
        );
    }

    #[test]
    fn refuses_what_is_not_an_http_url() {
        assert!(join("not a url", "/user").is_err());
        assert!(join("mailto:someone@example.com", "/user").is_err());
        assert!(join("ftp://example.com", "/user").is_err());
    }
}
