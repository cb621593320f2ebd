//! Legacy `Markdown` (the Bot API's "Markdown style"): `*bold*`, `_italic_`, `[text](url)`,
//! `` `code` `` and ```` ```pre``` ````. No nesting, and no escaping inside an entity: outside one,
//! only `_ * ` [` take a backslash.

/// Where the markup breaks: the 0-based character index and the reason (`markup` adds the line
/// and column).
pub type Refusal = (usize, String);

fn refusal(index: usize, message: impl Into<String>) -> Refusal {
    (index, message.into())
}

/// The characters legacy Markdown escapes outside entities.
pub const MARKDOWN_RESERVED: &str = "_*`[";

/// Plain text as legacy Markdown: `_ * ` [` get a backslash, nothing else changes.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if MARKDOWN_RESERVED.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Plain text inside `marker` (`*` bold, `_` italic). Legacy Markdown cannot escape inside an
/// entity, so each reserved character closes it, stands escaped, and the entity opens again:
/// `2*2` in bold is `*2*\**2*`.
pub fn wrap_markdown(marker: char, text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if !run.is_empty() {
            out.push(marker);
            out.push_str(run);
            out.push(marker);
            run.clear();
        }
    };
    for c in text.chars() {
        if MARKDOWN_RESERVED.contains(c) {
            flush(&mut run, &mut out);
            out.push('\\');
            out.push(c);
        } else {
            run.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn entity_name(c: char) -> &'static str {
    match c {
        '*' => "bold (*)",
        '_' => "italic (_)",
        '[' => "link text ([)",
        _ => "inline code (`)",
    }
}

/// Checks legacy Markdown as Telegram parses it and returns the visible text, or the first place
/// Telegram would refuse (an entity never closed, a link without its `)`) or would not show what
/// was meant (an entity inside another: legacy Markdown shows the inner markers as they are).
pub fn check_markdown(text: &str) -> Result<String, Refusal> {
    let chars: Vec<char> = text.chars().collect();
    let mut visible = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\\' && next.is_some_and(|n| MARKDOWN_RESERVED.contains(n)) {
            visible.extend(next);
            i += 2;
            continue;
        }
        if !MARKDOWN_RESERVED.contains(c) {
            visible.push(c);
            i += 1;
            continue;
        }
        if c == '`' && next == Some('`') && chars.get(i + 2) == Some(&'`') {
            i = pre(&chars, i, &mut visible)?;
            continue;
        }
        let end = if c == '[' { ']' } else { c };
        let Some(len) = chars[i + 1..].iter().position(|x| *x == end) else {
            return Err(refusal(
                i,
                format!(
                    "the {} that starts here is never closed; write \\{c} for a literal {c}",
                    entity_name(c)
                ),
            ));
        };
        let close = i + 1 + len;
        let inner = &chars[i + 1..close];
        if c != '`' {
            nested(&chars, i, inner)?;
            if inner.last() == Some(&'\\') {
                return Err(refusal(
                    close - 1,
                    format!(
                        "legacy Markdown cannot escape inside an entity: this \\ does not escape the {end}, which closes the {} here; close it, write \\{end}, and open it again (e.g. *2*\\**2=4*)",
                        entity_name(c)
                    ),
                ));
            }
        }
        visible.extend(inner);
        i = close + 1;
        if c == '[' {
            if chars.get(i) != Some(&'(') {
                return Err(refusal(
                    close,
                    "`]` ends a link text, but no `(URL)` follows it (Telegram would drop the brackets); write \\[ for a literal bracket",
                ));
            }
            let Some(len) = chars[i + 1..].iter().position(|x| *x == ')') else {
                return Err(refusal(
                    i,
                    "the link URL that starts here has no closing `)`",
                ));
            };
            if len == 0 {
                return Err(refusal(i, "the link has an empty URL"));
            }
            i += len + 2;
        }
    }
    Ok(visible)
}

/// An entity opened at `start` whose content `inner` holds another entity (a marker and its close).
fn nested(chars: &[char], start: usize, inner: &[char]) -> Result<(), Refusal> {
    let outer = chars[start];
    for (k, m) in inner.iter().enumerate() {
        if !MARKDOWN_RESERVED.contains(*m) || *m == outer {
            continue;
        }
        let end = if *m == '[' { ']' } else { *m };
        if inner[k + 1..].contains(&end) {
            return Err(refusal(
                start + 1 + k,
                format!(
                    "legacy Markdown cannot nest: this {} is inside the {} opened at character {}, and Telegram would show its markers as they are; close the outer one first, or use MarkdownV2",
                    entity_name(*m),
                    entity_name(outer),
                    start + 1
                ),
            ));
        }
    }
    Ok(())
}

/// A ```` ``` ```` block at `start` (an optional language on the first line); returns the index
/// after its closing ```` ``` ````.
fn pre(chars: &[char], start: usize, visible: &mut String) -> Result<usize, Refusal> {
    let mut i = start + 3;
    let language_end = chars[i..]
        .iter()
        .position(|c| c.is_whitespace() || *c == '`')
        .map_or(chars.len(), |p| i + p);
    if language_end > i && chars.get(language_end).is_some_and(|c| *c != '`') {
        i = language_end;
    }
    if chars.get(i) == Some(&'\n') {
        i += 1;
    }
    while i < chars.len() {
        if chars[i] == '`' && chars.get(i + 1) == Some(&'`') && chars.get(i + 2) == Some(&'`') {
            return Ok(i + 3);
        }
        visible.push(chars[i]);
        i += 1;
    }
    Err(refusal(
        start,
        "the code block (```) that starts here is never closed",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_escapes_only_the_four_reserved_characters() {
        assert_eq!(
            escape_markdown(r"a_b *c* `d` [e] (f) 1.5! \x"),
            r"a\_b \*c\* \`d\` \[e] (f) 1.5! \x"
        );
        assert_eq!(wrap_markdown('*', "2*2=4"), r"*2*\**2=4*");
        assert_eq!(wrap_markdown('_', "_snake_"), r"\__snake_\_");
        assert_eq!(wrap_markdown('*', "Deploy v1.2"), "*Deploy v1.2*");
    }

    #[test]
    fn good_markup_gives_the_visible_text() {
        let cases = [
            ("*bold* _it_ [docs](https://x.example/a_b)", "bold it docs"),
            (
                "`a_b*c` and\n```rust\nlet x = *y;\n```",
                "a_b*c and\nlet x = *y;\n",
            ),
            (
                r"snake\_case \*star\* \[x] 5 ] (",
                "snake_case *star* [x] 5 ] (",
            ),
            ("*snake_case in bold*", "snake_case in bold"),
            ("```plain```", "plain"),
            (r"a\b", r"a\b"),
        ];
        for (text, shown) in cases {
            assert_eq!(check_markdown(text).as_deref(), Ok(shown), "{text}");
        }
    }

    #[test]
    fn broken_markup_names_the_reason_and_the_character() {
        let cases = [
            (
                "Price *5 off",
                7,
                "bold (*) that starts here is never closed",
            ),
            ("a _b", 3, "italic (_) that starts here is never closed"),
            (
                "see [docs",
                5,
                "link text ([) that starts here is never closed",
            ),
            ("see [docs](https://x", 11, "no closing `)`"),
            ("see [docs] now", 10, "no `(URL)` follows it"),
            ("x `code", 3, "inline code (`) that starts here"),
            (
                "```\ncode",
                1,
                "code block (```) that starts here is never closed",
            ),
            (
                "*bold _it_*",
                7,
                "cannot nest: this italic (_) is inside the bold (*) opened at character 1",
            ),
            (
                "_a [l](u)_",
                4,
                "cannot nest: this link text ([) is inside the italic (_)",
            ),
            (r"*2\*2*", 3, "cannot escape inside an entity"),
            ("[x]()", 4, "empty URL"),
        ];
        for (text, position, reason) in cases {
            let (index, message) = check_markdown(text).expect_err(text);
            assert_eq!(index + 1, position, "{text}: {message}");
            assert!(message.contains(reason), "{text}: {message}");
        }
    }
}
