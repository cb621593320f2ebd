//! `pushdeck providers`: what this build supports, field by field.

use serde_json::{Value, json};

use super::context::CliResult;
use super::exit::Exit;
use super::print::pretty;
use crate::provider::{self, FieldKind, FieldSpec};

fn kind_name(kind: FieldKind) -> String {
    match kind {
        FieldKind::Choice(options) => options.join("|"),
        FieldKind::Text => "text".into(),
        FieldKind::List => "list".into(),
        FieldKind::Number => "number".into(),
        FieldKind::Bool => "bool".into(),
        FieldKind::Json => "json".into(),
        FieldKind::JsonList => "json list".into(),
    }
}

pub fn providers(as_json: bool) -> CliResult {
    if as_json {
        let list: Vec<Value> = provider::all()
            .iter()
            .map(|p| {
                let i = p.info();
                let fields = |fs: &[FieldSpec]| -> Vec<Value> {
                    fs.iter().map(|f| json!({"key": f.key, "label": f.label, "hint": f.hint, "kind": kind_name(f.kind), "required": f.required})).collect()
                };
                json!({"id": i.id, "name": i.name, "default_base_url": i.default_base_url, "settings": fields(i.settings), "secrets": fields(i.secrets), "audience": fields(i.audience), "options": fields(i.options)})
            })
            .collect();
        out!("{}", pretty(&json!({"providers": list})));
        return Ok(Exit::Success);
    }
    for p in provider::all() {
        let i = p.info();
        let keys = |fs: &[FieldSpec]| fs.iter().map(|f| f.key).collect::<Vec<_>>().join(", ");
        out!("{} ({})", i.id, i.name);
        out!("  settings: {}", keys(i.settings));
        out!("  secrets:  {}", keys(i.secrets));
        out!("  audience: {}", keys(i.audience));
        out!(
            "  options:  {}, {}",
            crate::draft::COMMON_OPTIONS.join(", "),
            keys(i.options)
        );
        out!("  API root: {}", i.default_base_url);
    }
    Ok(Exit::Success)
}
