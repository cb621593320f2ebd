//! A table with resizable columns sorted by clicking a header (egui_extras' `TableBuilder`): the
//! fan-out's results and the History list. Only the visible rows are laid out.

use std::cmp::Ordering;

use eframe::egui::{self, Sense};
use egui_extras::{Column, TableBuilder};

/// What a cell sorts by: text, or a number (times, status codes) so 90 comes before 100.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum SortKey {
    Text(String),
    Number(f64),
}

/// One row: what each cell shows and what it sorts by.
pub struct Row {
    pub cells: Vec<(String, SortKey)>,
}

impl Row {
    pub fn text(text: impl Into<String>) -> (String, SortKey) {
        let text = text.into();
        (text.clone(), SortKey::Text(text.to_lowercase()))
    }

    pub fn number(text: impl Into<String>, value: f64) -> (String, SortKey) {
        (text.into(), SortKey::Number(value))
    }
}

/// A column: its header, the header's tooltip, and its initial width (the last one takes the rest).
pub struct Header {
    pub title: &'static str,
    pub tooltip: &'static str,
    pub width: f32,
}

/// Which column sorts the rows, and which way; `None` keeps the rows' own order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sort {
    pub column: usize,
    pub descending: bool,
}

/// The rows' indices in the order `sort` shows them.
pub fn order(rows: &[Row], sort: Option<Sort>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    if let Some(sort) = sort {
        // Stable: rows that tie keep their own order (newest first, request order).
        order.sort_by(|&a, &b| {
            let key = |i: usize| rows[i].cells.get(sort.column).map(|c| &c.1);
            let o = key(a).partial_cmp(&key(b)).unwrap_or(Ordering::Equal);
            if sort.descending { o.reverse() } else { o }
        });
    }
    order
}

/// Draws the table; the index (into `rows`) of the row clicked this frame.
pub fn show(
    ui: &mut egui::Ui,
    id: &str,
    headers: &[Header],
    rows: &[Row],
    sort: &mut Option<Sort>,
    selected: Option<usize>,
    max_height: f32,
) -> Option<usize> {
    let order = order(rows, *sort);
    let row_height = ui.spacing().interact_size.y;
    let mut table = TableBuilder::new(ui)
        .id_salt(id)
        .striped(true)
        .resizable(true)
        .sense(Sense::click())
        .max_scroll_height(max_height)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
    for (i, h) in headers.iter().enumerate() {
        table = table.column(if i + 1 == headers.len() {
            Column::remainder().at_least(h.width).clip(true)
        } else {
            Column::initial(h.width).at_least(40.0).clip(true)
        });
    }
    let mut clicked = None;
    table
        .header(row_height, |mut header| {
            for (i, h) in headers.iter().enumerate() {
                header.col(|ui| {
                    let active = sort.filter(|s| s.column == i);
                    let arrow = match active {
                        Some(Sort {
                            descending: true, ..
                        }) => " ⏷",
                        Some(_) => " ⏶",
                        None => "",
                    };
                    if ui
                        .selectable_label(active.is_some(), format!("{}{arrow}", h.title))
                        .on_hover_text(format!(
                            "{} — click to sort by it, again to reverse",
                            h.tooltip
                        ))
                        .clicked()
                    {
                        *sort = Some(Sort {
                            column: i,
                            descending: active.is_some_and(|s| !s.descending),
                        });
                    }
                });
            }
        })
        .body(|body| {
            body.rows(row_height, order.len(), |mut row| {
                let i = order[row.index()];
                let is_selected = selected == Some(i);
                row.set_selected(is_selected);
                for (text, _) in &rows[i].cells {
                    row.col(|ui| {
                        if ui.selectable_label(is_selected, text).clicked() {
                            clicked = Some(i);
                        }
                    });
                }
                if row.response().clicked() {
                    clicked = Some(i);
                }
            });
        });
    clicked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Row> {
        [("b", 100.0), ("a", 90.0), ("c", 100.0)]
            .into_iter()
            .map(|(t, n)| Row {
                cells: vec![Row::text(t), Row::number(format!("{n} ms"), n)],
            })
            .collect()
    }

    #[test]
    fn sorts_text_and_numbers_either_way_and_keeps_ties_in_order() {
        let rows = rows();
        assert_eq!(order(&rows, None), [0, 1, 2]);
        let by = |column, descending| Some(Sort { column, descending });
        assert_eq!(order(&rows, by(0, false)), [1, 0, 2]);
        assert_eq!(order(&rows, by(0, true)), [2, 0, 1]);
        // 90 before 100 (as numbers, not as text); the two 100s keep their order.
        assert_eq!(order(&rows, by(1, false)), [1, 0, 2]);
        assert_eq!(order(&rows, by(1, true)), [0, 2, 1]);
    }
}
