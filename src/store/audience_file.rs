//! An audience kept in its own file (`audience.subscriptions_file`): JSON lines, or one JSON array.
//! Read as a stream, one item at a time, so a million subscriptions never sit in memory; rewritten
//! (without the gone ones) as a stream into a temporary file that replaces it.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::Path;

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::Value;

use super::error::StoreError;

/// Where an item sits in its file: its position (from 0), and its line in a JSON-lines file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemPlace {
    pub index: usize,
    pub line: Option<usize>,
}

impl fmt::Display for ItemPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}"),
            None => write!(f, "item {} of the array", self.index + 1),
        }
    }
}

/// The two shapes an audience file may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileShape {
    Lines,
    Array,
}

/// Each item of the file, in order, until `each` breaks. Returns how many items were read.
/// An item that is not JSON stops the read with an error naming its line.
pub fn for_each_item(
    path: &Path,
    each: &mut dyn FnMut(ItemPlace, Value) -> ControlFlow<()>,
) -> Result<usize, StoreError> {
    for_each_text_or_item(path, &mut |_, _| None, each)
}

/// Takes an item from its JSON text (`Some`: taken, and whether to go on), or leaves it (`None`).
pub type TakeText<'a> = dyn FnMut(ItemPlace, &[u8]) -> Option<ControlFlow<()>> + 'a;

/// `for_each_item`, but a JSON-lines item is first offered as its text to `text`, which may take
/// it (`Some`: a caller that reads it more cheaply than a `Value` can); an item it leaves (`None`),
/// and every item of an array file, is parsed and goes to `each` as usual, errors included.
pub fn for_each_text_or_item(
    path: &Path,
    text: &mut TakeText<'_>,
    each: &mut dyn FnMut(ItemPlace, Value) -> ControlFlow<()>,
) -> Result<usize, StoreError> {
    let file = File::open(path).map_err(|e| StoreError::io("open", path, e))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    match shape(&mut reader, path)? {
        FileShape::Lines => each_line(reader, path, text, each),
        FileShape::Array => each_element(reader, path, each),
    }
}

/// How many items the file holds, and the first `sample` of them (every item is parsed as JSON:
/// a file that cannot be sent is found here).
pub fn count_and_sample(path: &Path, sample: usize) -> Result<(usize, Vec<Value>), StoreError> {
    let mut first = Vec::new();
    let count = for_each_item(path, &mut |_, value| {
        if first.len() < sample {
            first.push(value);
        }
        ControlFlow::Continue(())
    })?;
    Ok((count, first))
}

/// Rewrites the file without the items `drop` names (by position), in the same shape, through a
/// temporary file renamed over it: a crash leaves the old file or the new one, never half.
/// Returns how many were dropped.
pub fn rewrite_without(path: &Path, drop: &dyn Fn(usize) -> bool) -> Result<usize, StoreError> {
    let shape = {
        let file = File::open(path).map_err(|e| StoreError::io("open", path, e))?;
        shape(&mut BufReader::new(file), path)?
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".pushdeck-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| StoreError::io("create a temporary file in", dir, e))?;
    let mut out = BufWriter::new(tmp);
    let mut dropped = 0;
    let mut kept = 0;
    let mut failed = None;
    if shape == FileShape::Array {
        failed = out.write_all(b"[").err();
    }
    for_each_item(path, &mut |place, value| {
        if drop(place.index) {
            dropped += 1;
            return ControlFlow::Continue(());
        }
        let sep: &[u8] = match (shape, kept) {
            (FileShape::Array, 0) => b"\n",
            (FileShape::Array, _) => b",\n",
            (FileShape::Lines, _) => b"",
        };
        let written = out
            .write_all(sep)
            .and_then(|()| serde_json::to_writer(&mut out, &value).map_err(std::io::Error::other))
            .and_then(|()| match shape {
                FileShape::Lines => out.write_all(b"\n"),
                FileShape::Array => Ok(()),
            });
        kept += 1;
        match written {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    if shape == FileShape::Array && failed.is_none() {
        failed = out.write_all(b"\n]\n").err();
    }
    if let Some(e) = failed {
        return Err(StoreError::io("write", path, e));
    }
    let tmp = out
        .into_inner()
        .map_err(|e| StoreError::io("write", path, e.into_error()))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| StoreError::io("write", path, e))?;
    tmp.persist(path)
        .map_err(|e| StoreError::io("replace", path, e.error))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(dropped)
}

/// An array when the first character is `[`, JSON lines otherwise.
fn shape(reader: &mut impl BufRead, path: &Path) -> Result<FileShape, StoreError> {
    loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| StoreError::io("read", path, e))?;
        if buf.is_empty() {
            return Ok(FileShape::Lines);
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let first = buf[i];
                reader.consume(i);
                return Ok(if first == b'[' {
                    FileShape::Array
                } else {
                    FileShape::Lines
                });
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

fn each_line(
    mut reader: impl BufRead,
    path: &Path,
    taken: &mut TakeText<'_>,
    each: &mut dyn FnMut(ItemPlace, Value) -> ControlFlow<()>,
) -> Result<usize, StoreError> {
    let mut line = Vec::new();
    let mut number = 0;
    let mut index = 0;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| StoreError::io("read", path, e))?;
        if n == 0 {
            return Ok(index);
        }
        number += 1;
        let text = line.trim_ascii();
        // Blank lines and a trailing comma (lines copied out of an array) are forgiven.
        let text = text.strip_suffix(b",").unwrap_or(text);
        if text.is_empty() {
            continue;
        }
        let place = ItemPlace {
            index,
            line: Some(number),
        };
        if let Some(flow) = taken(place, text) {
            index += 1;
            if flow.is_break() {
                return Ok(index);
            }
            continue;
        }
        let value: Value = serde_json::from_slice(text).map_err(|e| {
            StoreError::Invalid(format!(
                "{} line {number}: not a JSON subscription ({e}). Each line must be one PushSubscription object (JSON lines), or the whole file one JSON array",
                path.display()
            ))
        })?;
        index += 1;
        if each(place, value).is_break() {
            return Ok(index);
        }
    }
}

/// Stops the array's read early; not an error.
const STOPPED: &str = "pushdeck: stopped reading";

fn each_element(
    reader: impl std::io::Read,
    path: &Path,
    each: &mut dyn FnMut(ItemPlace, Value) -> ControlFlow<()>,
) -> Result<usize, StoreError> {
    struct Elements<'a> {
        each: &'a mut dyn FnMut(ItemPlace, Value) -> ControlFlow<()>,
        read: &'a mut usize,
    }
    impl<'de> Visitor<'de> for Elements<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON array of subscriptions")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(value) = seq.next_element::<Value>()? {
                let place = ItemPlace {
                    index: *self.read,
                    line: None,
                };
                *self.read += 1;
                if (self.each)(place, value).is_break() {
                    return Err(serde::de::Error::custom(STOPPED));
                }
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Elements<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    let mut read = 0;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let result = Elements {
        each,
        read: &mut read,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match result {
        Ok(()) => Ok(read),
        Err(e) if e.to_string().starts_with(STOPPED) => Ok(read),
        Err(e) => Err(StoreError::Invalid(format!(
            "{}: not a JSON array of subscriptions ({e}); after {read} good item(s)",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(path: &Path) -> Result<Vec<(ItemPlace, Value)>, StoreError> {
        let mut all = Vec::new();
        for_each_item(path, &mut |p, v| {
            all.push((p, v));
            ControlFlow::Continue(())
        })?;
        Ok(all)
    }

    #[test]
    fn lines_and_arrays_read_the_same_items_in_order() {
        let dir = tempfile::tempdir().expect("dir");
        let lines = dir.path().join("a.jsonl");
        std::fs::write(&lines, "{\"n\":0}\n\n{\"n\":1},\n{\"n\":2}\n").expect("write");
        let array = dir.path().join("b.json");
        std::fs::write(&array, "  [\n{\"n\":0},\n{\"n\":1}, {\"n\":2}]\n").expect("write");
        for path in [&lines, &array] {
            let all = items(path).expect("reads");
            let ns: Vec<_> = all.iter().map(|(_, v)| v["n"].clone()).collect();
            assert_eq!(ns, [0, 1, 2]);
            assert_eq!(all[2].0.index, 2);
        }
        assert_eq!(items(&lines).expect("reads")[2].0.line, Some(4));
        let (count, sample) = count_and_sample(&array, 2).expect("counts");
        assert_eq!((count, sample.len()), (3, 2));
    }

    #[test]
    fn a_bad_line_is_named_and_a_break_stops_early() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("a.jsonl");
        std::fs::write(&path, "{\"n\":0}\n{\"n\":1}\n{oops\n").expect("write");
        let e = items(&path).expect_err("bad line").to_string();
        assert!(e.contains("line 3"), "{e}");
        let mut seen = 0;
        let read = for_each_item(&path, &mut |_, _| {
            seen += 1;
            ControlFlow::Break(())
        })
        .expect("stops before the bad line");
        assert_eq!((read, seen), (1, 1));
        let array = dir.path().join("b.json");
        std::fs::write(&array, "[{\"n\":0}, {\"n\":1}, 7").expect("write");
        let e = items(&array).expect_err("cut array").to_string();
        assert!(e.contains("after 3 good item"), "{e}");
    }

    #[test]
    fn rewriting_drops_the_named_items_and_keeps_the_shape() {
        let dir = tempfile::tempdir().expect("dir");
        let lines = dir.path().join("a.jsonl");
        std::fs::write(&lines, "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n").expect("write");
        assert_eq!(rewrite_without(&lines, &|i| i == 1).expect("rewrites"), 1);
        assert_eq!(
            std::fs::read_to_string(&lines).expect("read"),
            "{\"n\":0}\n{\"n\":2}\n"
        );
        let array = dir.path().join("b.json");
        std::fs::write(&array, "[{\"n\":0},{\"n\":1},{\"n\":2}]").expect("write");
        assert_eq!(rewrite_without(&array, &|i| i != 2).expect("rewrites"), 2);
        let text = std::fs::read_to_string(&array).expect("read");
        let back: Value = serde_json::from_str(&text).expect("still an array");
        assert_eq!(back, serde_json::json!([{"n": 2}]));
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(left.len(), 2, "no temporary file left behind");
    }
}
