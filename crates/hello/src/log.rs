//! Structured logs: one JSON object per line on stdout, `ts`, `level` and `msg` first,
//! then the event's fields. Container runtimes and log shippers read stdout line by line,
//! so a line is never split and a write error (e.g. a closed pipe) is ignored rather
//! than allowed to take the server down.

use std::io::Write;

use serde_json::Value;

/// Logs an `info` event.
pub fn info(msg: &str, fields: Value) {
    emit("info", msg, fields);
}

/// Logs an `error` event.
pub fn error(msg: &str, fields: Value) {
    emit("error", msg, fields);
}

fn emit(level: &str, msg: &str, fields: Value) {
    let line = render(&jiff::Timestamp::now().to_string(), level, msg, &fields);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let _ = out.flush();
}

/// One log line (with its trailing newline). `fields` other than an object is stored
/// under `"fields"`; keys named `ts`, `level` or `msg` cannot shadow the fixed ones.
pub fn render(ts: &str, level: &str, msg: &str, fields: &Value) -> String {
    let mut line = String::with_capacity(160);
    line.push_str("{\"ts\":");
    line.push_str(&Value::from(ts).to_string());
    line.push_str(",\"level\":");
    line.push_str(&Value::from(level).to_string());
    line.push_str(",\"msg\":");
    line.push_str(&Value::from(msg).to_string());
    let mut push = |k: &str, v: &Value| {
        line.push(',');
        line.push_str(&Value::from(k).to_string());
        line.push(':');
        line.push_str(&v.to_string());
    };
    match fields {
        Value::Object(map) => {
            for (k, v) in map {
                if !matches!(k.as_str(), "ts" | "level" | "msg") {
                    push(k, v);
                }
            }
        }
        Value::Null => {}
        other => push("fields", other),
    }
    line.push_str("}\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn line_is_one_json_object_with_fixed_keys_first() {
        let line = render(
            "2026-01-02T03:04:05Z",
            "info",
            "request",
            &json!({"path": "/a\"b\nc", "status": 200}),
        );
        assert!(line.ends_with("}\n"));
        assert_eq!(
            line.matches('\n').count(),
            1,
            "escaped newline stays on one line"
        );
        assert!(
            line.starts_with(r#"{"ts":"2026-01-02T03:04:05Z","level":"info","msg":"request","#)
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["path"], "/a\"b\nc");
        assert_eq!(v["status"], 200);
    }

    #[test]
    fn fields_cannot_shadow_fixed_keys() {
        let line = render(
            "t",
            "info",
            "m",
            &json!({"msg": "evil", "level": "error", "x": 1}),
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["msg"], "m");
        assert_eq!(v["level"], "info");
        assert_eq!(v["x"], 1);
    }

    #[test]
    fn non_object_fields() {
        let v: Value = serde_json::from_str(&render("t", "info", "m", &json!([1, 2]))).unwrap();
        assert_eq!(v["fields"], json!([1, 2]));
        let v: Value = serde_json::from_str(&render("t", "info", "m", &Value::Null)).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 3);
    }
}
