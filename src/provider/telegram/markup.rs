//! Telegram's two formatting languages (providers.md §3.4): escaping plain text for them, and
//! checking user-written markup the way Telegram's parser does, so a "can't parse entities" error
//! is caught before the round trip and points at the offending character. Legacy `Markdown` is in
//! `legacy`.

mod legacy;

pub use legacy::{escape_markdown, wrap_markdown};

/// Checks legacy Markdown as Telegram parses it and returns the visible text, or the first place
/// Telegram would refuse or would not show what was meant (`legacy::check_markdown`).
pub fn check_markdown(text: &str) -> Result<String, MarkupError> {
    legacy::check_markdown(text).map_err(|(index, message)| {
        let chars: Vec<char> = text.chars().collect();
        error_at(&chars, index, message)
    })
}

/// The characters MarkdownV2 reserves outside entities, plus the backslash itself.
pub const MARKDOWN_V2_RESERVED: &str = "_*[]()~`>#+-=|{}.!\\";

/// Plain text as MarkdownV2: every reserved character gets a backslash.
pub fn escape_markdown_v2(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if MARKDOWN_V2_RESERVED.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A URL inside MarkdownV2's `(...)` link part: only `)` and `\` are escaped there.
pub fn escape_markdown_v2_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len() + 2);
    for c in url.chars() {
        if c == ')' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Plain text as HTML: `&`, `<`, `>` become entities (and `"`, for attribute values).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Where user-written markup breaks, as a 1-based character position with line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkupError {
    pub position: usize,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for MarkupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "at character {} (line {}, column {}): {}",
            self.position, self.line, self.column, self.message
        )
    }
}

fn error_at(chars: &[char], index: usize, message: impl Into<String>) -> MarkupError {
    let before = &chars[..index.min(chars.len())];
    let line = before.iter().filter(|c| **c == '\n').count() + 1;
    let column = before.iter().rev().take_while(|c| **c != '\n').count() + 1;
    MarkupError {
        position: index + 1,
        line,
        column,
        message: message.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Md {
    Bold,
    Italic,
    Underline,
    Strike,
    Spoiler,
    LinkText,
    EmojiText,
}

impl Md {
    fn name(self) -> &'static str {
        match self {
            Md::Bold => "bold (*)",
            Md::Italic => "italic (_)",
            Md::Underline => "underline (__)",
            Md::Strike => "strikethrough (~)",
            Md::Spoiler => "spoiler (||)",
            Md::LinkText => "link text ([)",
            Md::EmojiText => "custom emoji (![)",
        }
    }
}

/// Checks MarkdownV2 as Telegram parses it and returns the visible text (what the length limits
/// count), or the first character that Telegram would refuse.
pub fn check_markdown_v2(text: &str) -> Result<String, MarkupError> {
    let chars: Vec<char> = text.chars().collect();
    let mut visible = String::with_capacity(text.len());
    let mut stack: Vec<(Md, usize)> = Vec::new();
    // An expandable block quote (`**>` at a line start) ends with `||` at a line end.
    let mut expandable_quote = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let line_start = i == 0 || chars[i - 1] == '\n';
        if line_start && c == '>' {
            i += 1;
            continue;
        }
        if line_start && c == '*' && next == Some('*') && chars.get(i + 2) == Some(&'>') {
            expandable_quote = true;
            i += 3;
            continue;
        }
        match c {
            '\\' => i = escaped(&chars, i, &mut visible)?,
            '*' => {
                toggle(&chars, &mut stack, Md::Bold, i)?;
                i += 1;
            }
            '~' => {
                toggle(&chars, &mut stack, Md::Strike, i)?;
                i += 1;
            }
            '_' => {
                // `__` is always read greedily as underline (Telegram's rule for `___`).
                if next == Some('_') {
                    toggle(&chars, &mut stack, Md::Underline, i)?;
                    i += 2;
                } else {
                    toggle(&chars, &mut stack, Md::Italic, i)?;
                    i += 1;
                }
            }
            '|' if next == Some('|') => {
                let at_line_end = matches!(chars.get(i + 2), None | Some('\n'));
                let top = stack.last().map(|(k, _)| *k);
                if expandable_quote && at_line_end && top != Some(Md::Spoiler) {
                    expandable_quote = false;
                } else {
                    toggle(&chars, &mut stack, Md::Spoiler, i)?;
                }
                i += 2;
            }
            '`' => {
                i = code(&chars, i, &mut visible)?;
            }
            '!' if next == Some('[') => {
                stack.push((Md::EmojiText, i));
                i += 2;
            }
            '[' => {
                stack.push((Md::LinkText, i));
                i += 1;
            }
            ']' => i = close_link(&chars, i, &mut stack)?,
            c if MARKDOWN_V2_RESERVED.contains(c) => return Err(reserved(&chars, i)),
            c => {
                visible.push(c);
                i += 1;
            }
        }
    }
    if let Some((kind, start)) = stack.last() {
        return Err(error_at(
            &chars,
            *start,
            format!("the {} that starts here is never closed", kind.name()),
        ));
    }
    Ok(visible)
}

/// A backslash escape at `i`: the escaped character is visible as itself. Returns the next index.
fn escaped(chars: &[char], i: usize, visible: &mut String) -> Result<usize, MarkupError> {
    let next = chars.get(i + 1).copied();
    match next {
        Some(n) if (1..=126).contains(&(n as u32)) => {
            visible.push(n);
            Ok(i + 2)
        }
        Some(n) => {
            visible.push('\\');
            visible.push(n);
            Ok(i + 2)
        }
        None => Err(error_at(
            chars,
            i,
            "a backslash at the very end escapes nothing; write \\\\ for a backslash",
        )),
    }
}

/// A `]` at `i` closes a link or custom emoji text, which a `(URL)` must follow.
fn close_link(
    chars: &[char],
    i: usize,
    stack: &mut Vec<(Md, usize)>,
) -> Result<usize, MarkupError> {
    let next = chars.get(i + 1).copied();
    match stack.last() {
        Some((Md::LinkText | Md::EmojiText, _)) => {
            stack.pop();
            if next != Some('(') {
                return Err(error_at(
                    chars,
                    i,
                    "`]` ends a link text, but no `(URL)` follows it; write \\] for a literal bracket",
                ));
            }
            link_url(chars, i + 1)
        }
        _ => Err(reserved(chars, i)),
    }
}

fn reserved(chars: &[char], i: usize) -> MarkupError {
    let c = chars[i];
    error_at(
        chars,
        i,
        format!("`{c}` is reserved in MarkdownV2 and must be escaped as \\{c}"),
    )
}

fn toggle(
    chars: &[char],
    stack: &mut Vec<(Md, usize)>,
    kind: Md,
    i: usize,
) -> Result<(), MarkupError> {
    if stack.last().map(|(k, _)| *k) == Some(kind) {
        stack.pop();
        return Ok(());
    }
    if let Some((open, start)) = stack.last().copied()
        && stack.iter().any(|(k, _)| *k == kind)
    {
        return Err(error_at(
            chars,
            i,
            format!(
                "this closes {}, but the {} opened at character {} must be closed first",
                kind.name(),
                open.name(),
                start + 1
            ),
        ));
    }
    stack.push((kind, i));
    Ok(())
}

/// Inline code or a pre block starting at `i`; returns the index after it.
fn code(chars: &[char], start: usize, visible: &mut String) -> Result<usize, MarkupError> {
    let fence = chars.get(start + 1) == Some(&'`') && chars.get(start + 2) == Some(&'`');
    let mut i = if fence { start + 3 } else { start + 1 };
    if fence {
        // The language name runs to the end of the first line and is not shown.
        while i < chars.len() && chars[i] != '\n' {
            if chars[i] == '`' {
                break;
            }
            i += 1;
        }
    }
    while i < chars.len() {
        match chars[i] {
            '\\' => match chars.get(i + 1) {
                Some(n) => {
                    visible.push(*n);
                    i += 2;
                }
                None => {
                    return Err(error_at(
                        chars,
                        i,
                        "a backslash at the very end escapes nothing; write \\\\ for a backslash",
                    ));
                }
            },
            '`' if !fence => return Ok(i + 1),
            '`' if chars.get(i + 1) == Some(&'`') && chars.get(i + 2) == Some(&'`') => {
                return Ok(i + 3);
            }
            '`' => {
                return Err(error_at(
                    chars,
                    i,
                    "a ` inside a code block must be escaped as \\`",
                ));
            }
            c => {
                visible.push(c);
                i += 1;
            }
        }
    }
    Err(error_at(
        chars,
        start,
        if fence {
            "the code block (```) that starts here is never closed"
        } else {
            "the inline code (`) that starts here is never closed"
        },
    ))
}

/// The `(URL)` part of a link whose `(` is at `open`; returns the index after `)`.
fn link_url(chars: &[char], open: usize) -> Result<usize, MarkupError> {
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            ')' => {
                if i == open + 1 {
                    return Err(error_at(chars, open, "the link has an empty URL"));
                }
                return Ok(i + 1);
            }
            _ => i += 1,
        }
    }
    Err(error_at(
        chars,
        open,
        "the link URL that starts here has no closing `)` (a `)` inside a URL must be written \\))",
    ))
}

const HTML_TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
];

/// Checks Telegram HTML as Telegram parses it and returns the visible text, or the first place
/// Telegram would refuse.
pub fn check_html(text: &str) -> Result<String, MarkupError> {
    let chars: Vec<char> = text.chars().collect();
    let mut visible = String::with_capacity(text.len());
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '<' => {
                let Some(len) = chars[i..].iter().position(|c| *c == '>') else {
                    return Err(error_at(
                        &chars,
                        i,
                        "this `<` starts a tag that never ends; write &lt; for a literal <",
                    ));
                };
                let inner: String = chars[i + 1..i + len].iter().collect();
                tag(&chars, i, &inner, &mut stack)?;
                i += len + 1;
            }
            '&' => {
                let (shown, used) = entity(&chars[i..]);
                visible.push(shown);
                i += used;
            }
            c => {
                visible.push(c);
                i += 1;
            }
        }
    }
    if let Some((name, start)) = stack.last() {
        return Err(error_at(
            &chars,
            *start,
            format!("<{name}> opened here is never closed; add </{name}>"),
        ));
    }
    Ok(visible)
}

fn tag(
    chars: &[char],
    at: usize,
    inner: &str,
    stack: &mut Vec<(String, usize)>,
) -> Result<(), MarkupError> {
    if let Some(closing) = inner.strip_prefix('/') {
        let name = closing.trim().to_ascii_lowercase();
        return match stack.pop() {
            Some((open, _)) if open == name => Ok(()),
            Some((open, start)) => Err(error_at(
                chars,
                at,
                format!(
                    "</{name}> does not match <{open}> opened at character {}; close </{open}> first",
                    start + 1
                ),
            )),
            None => Err(error_at(
                chars,
                at,
                format!("</{name}> closes a tag that was never opened"),
            )),
        };
    }
    let name_end = inner
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(inner.len());
    let name = inner[..name_end].to_ascii_lowercase();
    if name.is_empty() {
        return Err(error_at(chars, at, "empty tag; write &lt; for a literal <"));
    }
    if !HTML_TAGS.contains(&name.as_str()) {
        return Err(error_at(
            chars,
            at,
            format!(
                "<{name}> is not a tag Telegram supports (use b, i, u, s, a, code, pre, blockquote, tg-spoiler…); write &lt; for a literal <"
            ),
        ));
    }
    let attrs = attributes(&inner[name_end..]);
    let attr = |key: &str| {
        attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    match name.as_str() {
        "a" if attr("href").is_none_or(|h| h.trim().is_empty()) => {
            return Err(error_at(chars, at, "<a> needs an href=\"…\" attribute"));
        }
        "span" if attr("class") != Some("tg-spoiler") => {
            return Err(error_at(
                chars,
                at,
                "<span> is only supported as <span class=\"tg-spoiler\">",
            ));
        }
        "tg-emoji" if attr("emoji-id").is_none() => {
            return Err(error_at(
                chars,
                at,
                "<tg-emoji> needs an emoji-id=\"…\" attribute",
            ));
        }
        _ => {}
    }
    stack.push((name, at));
    Ok(())
}

fn attributes(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == '/') {
            i += 1;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' {
            i += 1;
        }
        let key: String = chars[start..i]
            .iter()
            .collect::<String>()
            .to_ascii_lowercase();
        let mut value = String::new();
        if chars.get(i) == Some(&'=') {
            i += 1;
            match chars.get(i) {
                Some(q @ ('"' | '\'')) => {
                    let q = *q;
                    i += 1;
                    while i < chars.len() && chars[i] != q {
                        value.push(chars[i]);
                        i += 1;
                    }
                    i += 1;
                }
                _ => {
                    while i < chars.len() && !chars[i].is_whitespace() {
                        value.push(chars[i]);
                        i += 1;
                    }
                }
            }
        }
        if !key.is_empty() {
            out.push((key, value));
        }
    }
    out
}

/// An HTML entity at the start of `chars`: the character it shows and how many chars it used. An
/// `&` that starts no known entity is shown as it is, as Telegram does.
fn entity(chars: &[char]) -> (char, usize) {
    let end = chars.iter().take(12).position(|c| *c == ';');
    if let Some(end) = end {
        let name: String = chars[1..end].iter().collect();
        let named = match name.as_str() {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            _ => None,
        };
        let numeric = name.strip_prefix('#').and_then(|n| {
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => n.parse::<u32>().ok(),
            };
            code.and_then(char::from_u32)
        });
        if let Some(c) = named.or(numeric) {
            return (c, end + 1);
        }
    }
    ('&', 1)
}

/// Length as Telegram counts it (UTF-16 code units).
pub fn telegram_len(text: &str) -> usize {
    text.encode_utf16().count()
}
