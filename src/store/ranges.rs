//! Recipients reached, kept as runs: `[0, 5, [7, 9]]` is 0, 5, 7, 8, 9, on disk and in memory
//! alike, so a million successes in a row are one run, not a million numbers. Reads plain lists
//! (entries written before) as well.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Prepared indices of the recipients with a recorded success: sorted, disjoint runs
/// `(first, last)` (inclusive), never two that touch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reached {
    runs: Vec<(usize, usize)>,
    len: usize,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Run {
    One(usize),
    Span([usize; 2]),
}

impl Reached {
    /// How many indices.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn contains(&self, index: usize) -> bool {
        let after = self.runs.partition_point(|(first, _)| *first <= index);
        after > 0 && self.runs[after - 1].1 >= index
    }

    /// Every index, in order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.runs.iter().flat_map(|(first, last)| *first..=*last)
    }

    /// Adds `first..=last`, which must not start before the last run does.
    fn push_run(&mut self, first: usize, last: usize) {
        match self.runs.last_mut() {
            Some((_, end)) if first <= end.saturating_add(1) => {
                if last > *end {
                    self.len += last - *end;
                    *end = last;
                }
            }
            _ => {
                self.runs.push((first, last));
                self.len += last - first + 1;
            }
        }
    }

    /// The set bits of `words` (bit `i % 64` of word `i / 64` is index `i`): a streamed send's
    /// record of who it reached, turned into runs without listing every index.
    pub fn from_bits(words: &[u64]) -> Self {
        let mut reached = Self::default();
        let mut open: Option<usize> = None;
        for (w, word) in words.iter().enumerate() {
            let base = w * 64;
            match (*word, open) {
                (u64::MAX, _) => {
                    open.get_or_insert(base);
                }
                (0, None) => {}
                (0, Some(first)) => {
                    reached.push_run(first, base - 1);
                    open = None;
                }
                (word, _) => {
                    for bit in 0..64 {
                        match (word >> bit & 1 == 1, open) {
                            (true, None) => open = Some(base + bit),
                            (false, Some(first)) => {
                                reached.push_run(first, base + bit - 1);
                                open = None;
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        if let Some(first) = open {
            reached.push_run(first, words.len() * 64 - 1);
        }
        reached
    }

    /// Both sets in one.
    pub fn union(&self, other: &Reached) -> Reached {
        let mut all: Vec<(usize, usize)> = self.runs.iter().chain(&other.runs).copied().collect();
        all.sort_unstable();
        let mut reached = Reached::default();
        for (first, last) in all {
            reached.push_run(first, last);
        }
        reached
    }
}

impl FromIterator<usize> for Reached {
    /// Any indices, in any order, repeats ignored.
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> Self {
        let mut indices: Vec<usize> = iter.into_iter().collect();
        indices.sort_unstable();
        let mut reached = Reached::default();
        for i in indices {
            reached.push_run(i, i);
        }
        reached
    }
}

impl<const N: usize> PartialEq<[usize; N]> for Reached {
    fn eq(&self, other: &[usize; N]) -> bool {
        self.len == N && self.iter().eq(other.iter().copied())
    }
}

impl Serialize for Reached {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.runs.iter().map(|&(first, last)| {
            if first == last {
                Run::One(first)
            } else {
                Run::Span([first, last])
            }
        }))
    }
}

impl<'de> Deserialize<'de> for Reached {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut runs = Vec::new();
        for run in Vec::<Run>::deserialize(d)? {
            runs.push(match run {
                Run::One(i) => (i, i),
                Run::Span([first, last]) if first <= last && last - first < 100_000_000 => {
                    (first, last)
                }
                Run::Span([first, last]) => {
                    return Err(serde::de::Error::custom(format!(
                        "`[{first}, {last}]` is not a run of recipients"
                    )));
                }
            });
        }
        runs.sort_unstable();
        let mut reached = Reached::default();
        for (first, last) in runs {
            reached.push_run(first, last);
        }
        Ok(reached)
    }
}

#[cfg(test)]
mod tests {
    use super::Reached;

    #[test]
    fn runs_are_compact_and_read_back_with_plain_lists() {
        let done: Reached = [0, 1, 2, 3, 5, 7, 8].into_iter().collect();
        let text = serde_json::to_string(&done).expect("json");
        assert_eq!(text, "[[0,3],5,[7,8]]");
        assert_eq!(serde_json::from_str::<Reached>(&text).expect("back"), done);
        let old: Reached = serde_json::from_str("[3,1,2,2]").expect("plain");
        assert_eq!(old, [1, 2, 3]);
        let million: Reached = (0..1_000_000).collect();
        assert_eq!(
            serde_json::to_string(&million).expect("json"),
            "[[0,999999]]"
        );
        assert_eq!(million.len(), 1_000_000);
        assert!(serde_json::from_str::<Reached>("[[5,1]]").is_err());
        let overlapping: Reached = serde_json::from_str("[[4,9],[0,5],12]").expect("runs");
        assert_eq!(overlapping.len(), 11);
        assert_eq!(
            serde_json::to_string(&overlapping).expect("json"),
            "[[0,9],12]"
        );
    }

    #[test]
    fn bits_become_the_same_runs_as_the_indices_they_hold() {
        let indices = [0, 1, 2, 63, 64, 65, 127, 128, 129, 130, 300, 511, 512, 700];
        let mut words = vec![0u64; 12];
        for i in indices {
            words[i / 64] |= 1 << (i % 64);
        }
        // Whole words in a row.
        words[8..11].fill(u64::MAX);
        let expected: Reached = indices
            .into_iter()
            .filter(|i| *i < 512 || *i >= 704)
            .chain(512..704)
            .collect();
        let reached = Reached::from_bits(&words);
        assert_eq!(reached, expected);
        assert_eq!(reached.len(), expected.iter().count());
        assert!(reached.contains(700) && reached.contains(65) && !reached.contains(66));
        assert_eq!(Reached::from_bits(&[u64::MAX; 2]).len(), 128);
        assert!(Reached::from_bits(&[0; 3]).is_empty());
        let carried: Reached = [5, 6, 200].into_iter().collect();
        let all = reached.union(&carried);
        assert_eq!(all.len(), reached.len() + 3);
        assert!(all.contains(6) && all.contains(200));
    }
}
