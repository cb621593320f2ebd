//! A sorted list of indices kept as runs: `[0, 5, [7, 9]]` is 0, 5, 7, 8, 9. Reads plain lists
//! (entries written before) as well.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Run {
    One(usize),
    Span([usize; 2]),
}

pub fn serialize<S: Serializer>(indices: &[usize], s: S) -> Result<S::Ok, S::Error> {
    let mut runs: Vec<Run> = Vec::new();
    let mut i = 0;
    while i < indices.len() {
        let first = indices[i];
        let mut last = first;
        while i + 1 < indices.len() && indices[i + 1] == last + 1 {
            i += 1;
            last = indices[i];
        }
        runs.push(if last == first {
            Run::One(first)
        } else {
            Run::Span([first, last])
        });
        i += 1;
    }
    runs.serialize(s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<usize>, D::Error> {
    let runs = Vec::<Run>::deserialize(d)?;
    let mut indices = Vec::new();
    for run in runs {
        match run {
            Run::One(i) => indices.push(i),
            Run::Span([first, last]) if first <= last && last - first < 100_000_000 => {
                indices.extend(first..=last)
            }
            Run::Span([first, last]) => {
                return Err(serde::de::Error::custom(format!(
                    "`[{first}, {last}]` is not a run of recipients"
                )));
            }
        }
    }
    indices.sort_unstable();
    indices.dedup();
    Ok(indices)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Done(#[serde(with = "super")] Vec<usize>);

    #[test]
    fn runs_are_compact_and_read_back_with_plain_lists() {
        let done = Done(vec![0, 1, 2, 3, 5, 7, 8]);
        let text = serde_json::to_string(&done).expect("json");
        assert_eq!(text, "[[0,3],5,[7,8]]");
        assert_eq!(serde_json::from_str::<Done>(&text).expect("back"), done);
        let old: Done = serde_json::from_str("[3,1,2]").expect("plain");
        assert_eq!(old.0, [1, 2, 3]);
        let million = Done((0..1_000_000).collect());
        assert_eq!(
            serde_json::to_string(&million).expect("json"),
            "[[0,999999]]"
        );
        assert!(serde_json::from_str::<Done>("[[5,1]]").is_err());
    }
}
