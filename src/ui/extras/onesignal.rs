//! OneSignal: a filter builder below the Filters JSON field. Rows (field, relation, tag key,
//! value; radius/lat/long for a location) are ANDed within a group and groups are joined by
//! `{"operator": "OR"}`. The builder writes the field's text; text typed into the field is read
//! back into rows whenever it parses, and while it does not, the rows wait (disabled) so nothing
//! typed is overwritten.

use eframe::egui;
use serde_json::{Map, Value, json};

use crate::provider::onesignal::filters::{self, FIELDS, Operand};
use crate::ui::form::ComposerForm;
use crate::ui::widgets::cell_field;

const KEY: &str = "filters";

/// One condition as the builder edits it; `value` holds `hours_ago` for the session fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    pub field: String,
    pub relation: String,
    pub key: String,
    pub value: String,
    pub radius: String,
    pub lat: String,
    pub long: String,
}

impl Row {
    fn new(field: &str) -> Self {
        // `=` where the field has it, since that is the usual question.
        let relation = filters::field(field)
            .and_then(|f| {
                f.relations
                    .iter()
                    .find(|r| **r == "=")
                    .or(f.relations.first())
            })
            .map(|r| r.to_string())
            .unwrap_or_default();
        Row {
            field: field.into(),
            relation,
            ..Row::default()
        }
    }

    fn operand(&self) -> Operand {
        filters::field(&self.field).map_or(Operand::Value, |f| f.operand)
    }

    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("field".into(), json!(self.field));
        match self.operand() {
            Operand::Location => {
                o.insert("radius".into(), json!(self.radius));
                o.insert("lat".into(), json!(self.lat));
                o.insert("long".into(), json!(self.long));
            }
            Operand::HoursAgo => {
                o.insert("relation".into(), json!(self.relation));
                o.insert("hours_ago".into(), json!(self.value));
            }
            operand => {
                if operand == Operand::KeyValue {
                    o.insert("key".into(), json!(self.key));
                }
                o.insert("relation".into(), json!(self.relation));
                if !filters::is_unary(&self.relation) {
                    o.insert("value".into(), json!(self.value));
                }
            }
        }
        Value::Object(o)
    }

    /// A condition the builder can show without losing anything, or `None`.
    fn from_json(item: &Value) -> Option<Row> {
        let o = item.as_object()?;
        let spec = filters::field(o.get("field")?.as_str()?)?;
        if o.keys()
            .any(|k| !filters::keys_of(spec).contains(&k.as_str()))
        {
            return None;
        }
        // Only strings: a number would come back as a string.
        let text = |k: &str| match o.get(k) {
            None => Some(String::new()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => None,
        };
        Some(Row {
            field: spec.name.into(),
            relation: text("relation")?,
            key: text("key")?,
            value: if spec.operand == Operand::HoursAgo {
                text("hours_ago")?
            } else {
                text("value")?
            },
            radius: text("radius")?,
            lat: text("lat")?,
            long: text("long")?,
        })
    }
}

/// The filters as groups of ANDed rows, or `None` when the text is not something the builder can
/// show (not JSON, an explicit AND, an empty group, a key the builder has no box for).
pub fn parse(text: &str) -> Option<Vec<Vec<Row>>> {
    if text.trim().is_empty() {
        return Some(Vec::new());
    }
    let items = match serde_json::from_str::<Value>(text).ok()? {
        Value::Array(items) => items,
        _ => return None,
    };
    let mut groups = vec![Vec::new()];
    for item in &items {
        if item.get("operator").is_some() {
            if *item != json!({"operator": "OR"}) || groups.last().is_some_and(Vec::is_empty) {
                return None;
            }
            groups.push(Vec::new());
        } else {
            groups.last_mut()?.push(Row::from_json(item)?);
        }
    }
    if groups.last().is_some_and(Vec::is_empty) {
        groups.pop();
        if !groups.is_empty() {
            return None;
        }
    }
    Some(groups)
}

/// The Filters field's text for these groups (empty when there are none).
pub fn render(groups: &[Vec<Row>]) -> String {
    let mut items = Vec::new();
    for (i, group) in groups.iter().filter(|g| !g.is_empty()).enumerate() {
        if i > 0 {
            items.push(json!({"operator": "OR"}));
        }
        items.extend(group.iter().map(Row::to_json));
    }
    if items.is_empty() {
        return String::new();
    }
    serde_json::to_string_pretty(&Value::Array(items)).unwrap_or_default()
}

#[derive(Default)]
pub struct State {
    groups: Vec<Vec<Row>>,
    /// The field's text the rows were last read from or written to.
    synced: String,
    /// The field's text is not something the rows can show.
    unreadable: bool,
}

/// Drawn right below the Filters field.
pub fn below_filters(ui: &mut egui::Ui, form: &mut ComposerForm, state: &mut State) {
    let text = form.audience.get(KEY).cloned().unwrap_or_default();
    if text != state.synced {
        match parse(&text) {
            Some(groups) => {
                state.groups = groups;
                state.unreadable = false;
            }
            None => state.unreadable = true,
        }
        state.synced = text;
    }
    let mut changed = false;
    egui::CollapsingHeader::new("Filter builder")
        .default_open(true)
        .show(ui, |ui| {
            if state.unreadable {
                ui.weak("The JSON above is not something the builder can show (not valid yet, an AND operator, or other keys); edit it there.");
            }
            ui.add_enabled_ui(!state.unreadable, |ui| {
                changed = groups_ui(ui, &mut state.groups);
            });
        });
    if changed {
        state.groups.retain(|g| !g.is_empty());
        let text = render(&state.groups);
        form.audience.insert(KEY.into(), text.clone());
        state.synced = text;
    }
}

fn groups_ui(ui: &mut egui::Ui, groups: &mut Vec<Vec<Row>>) -> bool {
    let mut changed = false;
    for (g, group) in groups.iter_mut().enumerate() {
        if g > 0 {
            ui.label(egui::RichText::new("OR").strong());
        }
        let mut remove = None;
        for (r, row) in group.iter_mut().enumerate() {
            if r > 0 {
                ui.weak("AND");
            }
            let name = format!("Filter {}.{}", g + 1, r + 1);
            ui.horizontal_wrapped(|ui| {
                changed |= row_ui(ui, &name, row);
                if ui
                    .small_button("Remove")
                    .on_hover_text("Remove this condition")
                    .clicked()
                {
                    remove = Some(r);
                }
            });
        }
        if let Some(r) = remove {
            group.remove(r);
            changed = true;
        }
        if ui
            .button(format!("+ AND condition in group {}", g + 1))
            .clicked()
        {
            group.push(Row::new("tag"));
            changed = true;
        }
    }
    if ui.button("+ OR group").clicked() {
        groups.push(vec![Row::new("tag")]);
        changed = true;
    }
    changed
}

fn row_ui(ui: &mut egui::Ui, name: &str, row: &mut Row) -> bool {
    let mut changed = false;
    let before = row.field.clone();
    let field_label = format!("{name} field");
    let l = ui.label(&field_label);
    egui::ComboBox::from_id_salt((name, "field"))
        .selected_text(row.field.clone())
        .show_ui(ui, |ui| {
            for f in FIELDS {
                ui.selectable_value(&mut row.field, f.name.to_string(), f.name);
            }
        })
        .response
        .labelled_by(l.id);
    if row.field != before {
        *row = Row::new(&row.field.clone());
        changed = true;
    }
    let Some(spec) = filters::field(&row.field) else {
        return changed;
    };
    if spec.operand == Operand::Location {
        for (what, value, hint) in [
            ("radius", &mut row.radius, "metres"),
            ("lat", &mut row.lat, "latitude"),
            ("long", &mut row.long, "longitude"),
        ] {
            changed |= cell_field(ui, &format!("{name} {what}"), value, hint, 70.0).changed();
        }
        return changed;
    }
    let relation_label = format!("{name} relation");
    let l = ui.label(&relation_label);
    let before = row.relation.clone();
    egui::ComboBox::from_id_salt((name, "relation"))
        .selected_text(row.relation.clone())
        .show_ui(ui, |ui| {
            for r in spec.relations {
                ui.selectable_value(&mut row.relation, r.to_string(), *r);
            }
        })
        .response
        .labelled_by(l.id);
    changed |= row.relation != before;
    if spec.operand == Operand::KeyValue {
        changed |= cell_field(ui, &format!("{name} key"), &mut row.key, "key", 90.0).changed();
    }
    if !filters::is_unary(&row.relation) {
        let (what, hint) = if spec.operand == Operand::HoursAgo {
            ("hours ago", "hours")
        } else {
            ("value", "value")
        };
        changed |= cell_field(ui, &format!("{name} {what}"), &mut row.value, hint, 90.0).changed();
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_into_groups_and_written_back_unchanged() {
        let text = serde_json::to_string_pretty(&json!([
            {"field": "tag", "key": "plan", "relation": "=", "value": "pro"},
            {"field": "last_session", "relation": "<", "hours_ago": "48"},
            {"operator": "OR"},
            {"field": "tag", "key": "beta", "relation": "exists"},
            {"field": "location", "radius": "1000", "lat": "48.8", "long": "2.3"}
        ]))
        .expect("json");
        let groups = parse(&text).expect("readable");
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].len(), 2);
        assert_eq!(groups[0][1].value, "48");
        assert_eq!(render(&groups), text);
    }

    #[test]
    fn what_the_rows_cannot_show_is_left_to_the_text() {
        for text in [
            "[{",
            r#"[{"field": "tag", "key": "a", "relation": "=", "value": 3}]"#,
            r#"[{"field": "tag", "key": "a", "relation": "exists"}, {"operator": "AND"}, {"field": "country", "relation": "=", "value": "FR"}]"#,
            r#"[{"operator": "OR"}]"#,
            r#"[{"field": "langage", "relation": "=", "value": "fr"}]"#,
        ] {
            assert!(parse(text).is_none(), "{text}");
        }
        assert_eq!(parse(""), Some(Vec::new()));
    }
}
