//! The methods each documented address answers, read from the OpenAPI document: a method
//! an address does not answer is 405 with `Allow` (not 404, which says the address is
//! wrong), and the document and the server cannot disagree about which.

use utoipa::openapi::OpenApi;

/// Each documented path as its segments (`None` for a `{parameter}`), and its `Allow`.
pub struct Methods(Vec<(Vec<Option<String>>, String)>);

impl Methods {
    pub fn from_document(document: &OpenApi) -> Self {
        let paths = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments =
                    path.split('/').map(|segment| (!segment.starts_with('{')).then(|| segment.to_owned())).collect();
                let answered = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ];
                let allow = answered.iter().filter(|(_, yes)| *yes).map(|(method, _)| *method).collect::<Vec<_>>();
                (segments, allow.join(", "))
            })
            .collect();
        Self(paths)
    }

    /// The `Allow` of the documented path `path` matches, if any; of two that match, the
    /// one with more fixed segments (`/requests/assignments` before `/requests/{id}`).
    pub fn allowed(&self, path: &str) -> Option<&str> {
        let asked: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .filter(|(segments, _)| {
                segments.len() == asked.len()
                    && segments.iter().zip(&asked).all(|(segment, asked)| match segment {
                        Some(literal) => literal == asked,
                        None => !asked.is_empty(),
                    })
            })
            .max_by_key(|(segments, _)| segments.iter().filter(|s| s.is_some()).count())
            .map(|(_, allow)| allow.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documented_address_names_its_methods() {
        let methods = Methods::from_document(&crate::http::support::openapi::document());
        assert_eq!(methods.allowed("/api/v1/enterprises/0193a1b2"), Some("GET, PATCH, DELETE"));
        assert_eq!(methods.allowed("/api/v1/enterprises"), Some("GET, POST"));
        assert_eq!(methods.allowed("/api/v1/enterprises/x/visits"), Some("GET, POST"));
        assert_eq!(methods.allowed("/api/v1/enterprises//visits"), None);
        assert_eq!(methods.allowed("/api/v1/requests/assignments"), Some("POST"));
        assert_eq!(methods.allowed("/api/v1/nothing"), None);
    }
}
