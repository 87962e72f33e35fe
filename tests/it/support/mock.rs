//! httpmock set-ups that several test modules share.

/// `{"data":[{"id":..},..],"meta":{..}}` for a page of `ids`.
pub fn page_json(ids: &[String], next_token: Option<&str>) -> String {
    let data: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "id": id,
                "endpoint_name": "filtered_stream",
                "client_ip": "203.0.113.7",
                "connected_at": "2026-01-05T09:12:44Z"
            })
        })
        .collect();
    let mut meta = serde_json::json!({ "result_count": ids.len() });
    if let Some(token) = next_token {
        meta["next_token"] = token.into();
    }
    serde_json::json!({ "data": data, "meta": meta }).to_string()
}
