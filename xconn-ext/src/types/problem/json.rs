//! A problem's JSON object: read leniently (a member of an unexpected type
//! is kept, not fatal) and written back without loss.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{ABOUT_BLANK, ErrorDetail, Problem};

impl Problem {
    /// Build from a JSON object; `None` when it is not shaped like a problem
    /// (RFC 7807 or X's legacy `errors` array).
    pub fn from_object(mut map: Map<String, Value>) -> Option<Self> {
        let looks_rfc7807 = ["type", "title", "detail"]
            .iter()
            .any(|k| map.get(*k).is_some_and(Value::is_string));
        let legacy = !looks_rfc7807 && map.get("errors").is_some_and(Value::is_array);
        if !looks_rfc7807 && !legacy {
            return None;
        }
        let mut take = |key: &str| match map.remove(key) {
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                // Keep a member of an unexpected type rather than lose it.
                map.insert(key.to_owned(), other);
                None
            }
            None => None,
        };
        let type_uri = take("type").unwrap_or_else(|| ABOUT_BLANK.to_owned());
        let title = take("title");
        let detail = take("detail");
        let instance = take("instance");
        let parameter = take("parameter");
        let value = take("value");
        let resource_type = take("resource_type");
        let resource_id = take("resource_id");
        let field = take("field");
        let section = take("section");
        let status = match map.remove("status") {
            Some(Value::Number(n)) if n.as_u64().is_some_and(|s| s <= u64::from(u16::MAX)) => {
                n.as_u64().map(|s| s as u16)
            }
            Some(other) => {
                map.insert("status".to_owned(), other);
                None
            }
            None => None,
        };
        let errors = match map.remove("errors") {
            Some(Value::Array(items)) => {
                match serde_json::from_value::<Vec<ErrorDetail>>(Value::Array(items.clone())) {
                    Ok(errors) => errors,
                    Err(_) => {
                        map.insert("errors".to_owned(), Value::Array(items));
                        Vec::new()
                    }
                }
            }
            Some(other) => {
                map.insert("errors".to_owned(), other);
                Vec::new()
            }
            None => Vec::new(),
        };
        let mut problem = Self {
            type_uri,
            title,
            detail,
            status,
            instance,
            parameter,
            value,
            resource_type,
            resource_id,
            field,
            section,
            errors,
            extra: map,
        };
        if legacy && problem.title.is_none() {
            problem.title = problem.errors.iter().find_map(|e| e.message.clone());
        }
        Some(problem)
    }

    /// Any JSON object as a problem: inside a page's `errors` array every
    /// object is one, so one not shaped like a problem is kept whole in
    /// [`Problem::extra`] under `about:blank`.
    pub(crate) fn from_any_object(map: Map<String, Value>) -> Self {
        let fallback = map.clone();
        Self::from_object(map).unwrap_or_else(|| Self {
            type_uri: ABOUT_BLANK.to_owned(),
            extra: fallback,
            ..Self::default()
        })
    }

    /// Parse a response body; `None` unless it is a JSON object shaped like a
    /// problem.
    pub fn from_slice(body: &[u8]) -> Option<Self> {
        match serde_json::from_slice::<Value>(body).ok()? {
            Value::Object(map) => Self::from_object(map),
            _ => None,
        }
    }

    fn to_object(&self) -> Map<String, Value> {
        let mut map = self.extra.clone();
        map.insert("type".to_owned(), Value::String(self.type_uri.clone()));
        let strings = [
            ("title", &self.title),
            ("detail", &self.detail),
            ("instance", &self.instance),
            ("parameter", &self.parameter),
            ("value", &self.value),
            ("resource_type", &self.resource_type),
            ("resource_id", &self.resource_id),
            ("field", &self.field),
            ("section", &self.section),
        ];
        for (key, value) in strings {
            if let Some(v) = value {
                map.insert(key.to_owned(), Value::String(v.clone()));
            }
        }
        if let Some(status) = self.status {
            map.insert("status".to_owned(), Value::from(status));
        }
        if !self.errors.is_empty() {
            map.insert(
                "errors".to_owned(),
                serde_json::to_value(&self.errors).unwrap_or(Value::Null),
            );
        }
        map
    }
}

impl Serialize for Problem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_object().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Problem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from_any_object(Map::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_member_types_are_kept_not_fatal() {
        let p =
            Problem::from_slice(br#"{"type":"about:blank","status":"429","detail":7}"#).unwrap();
        assert_eq!(p.status, None);
        assert_eq!(p.detail, None);
        assert_eq!(p.extra["status"], Value::from("429"));
        assert_eq!(p.extra["detail"], Value::from(7));
    }
}
