//! Tags and tag expressions (providers.md §2.4): `&&`, `||`, `!` and parentheses over tags of ≤ 120
//! characters (letters, digits and `_ @ # . : -`). An expression may name ≤ 20 tags when it only
//! uses `||`, otherwise ≤ 6.

pub const MAX_TAG_LEN: usize = 120;
pub const MAX_OR_TAGS: usize = 20;
pub const MAX_MIXED_TAGS: usize = 6;

/// Why an expression is invalid, and where (1-based character position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagError {
    pub position: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for TagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some(p) => write!(f, "at character {p}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn at(position: usize, message: impl Into<String>) -> TagError {
    TagError {
        position: Some(position),
        message: message.into(),
    }
}

pub fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '@' | '#' | '.' | ':' | '-')
}

/// Checks one tag (from the `tags` list).
pub fn check_tag(tag: &str) -> Result<(), String> {
    if let Some((i, c)) = tag.chars().enumerate().find(|(_, c)| !is_tag_char(*c)) {
        return Err(format!(
            "`{tag}` has `{c}` at character {}; a tag holds only letters, digits and _ @ # . : -",
            i + 1
        ));
    }
    let len = tag.chars().count();
    if len > MAX_TAG_LEN {
        return Err(format!(
            "a tag has at most {MAX_TAG_LEN} characters; this one has {len}"
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Tag(String),
    And,
    Or,
    Not,
    Open,
    Close,
}

fn describe(t: &Token) -> String {
    match t {
        Token::Tag(s) => format!("tag `{s}`"),
        Token::And => "`&&`".into(),
        Token::Or => "`||`".into(),
        Token::Not => "`!`".into(),
        Token::Open => "`(`".into(),
        Token::Close => "`)`".into(),
    }
}

fn lex(text: &str) -> Result<Vec<(usize, Token)>, TagError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push((pos, Token::Open));
                i += 1;
            }
            ')' => {
                out.push((pos, Token::Close));
                i += 1;
            }
            '!' => {
                out.push((pos, Token::Not));
                i += 1;
            }
            '&' | '|' => {
                if chars.get(i + 1) != Some(&c) {
                    return Err(at(pos, format!("`{c}` must be doubled: `{c}{c}`")));
                }
                out.push((pos, if c == '&' { Token::And } else { Token::Or }));
                i += 2;
            }
            c if is_tag_char(c) => {
                let start = i;
                while i < chars.len() && is_tag_char(chars[i]) {
                    i += 1;
                }
                let tag: String = chars[start..i].iter().collect();
                let len = i - start;
                if len > MAX_TAG_LEN {
                    return Err(at(
                        pos,
                        format!("a tag has at most {MAX_TAG_LEN} characters; this one has {len}"),
                    ));
                }
                out.push((pos, Token::Tag(tag)));
            }
            other => {
                return Err(at(
                    pos,
                    format!(
                        "`{other}` is not allowed; tags hold letters, digits and _ @ # . : -, operators are && || ! ( )"
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// Deeper nesting than any real expression needs; without a bound, `((((…` overflows the stack.
const MAX_DEPTH: usize = 64;

struct Parser {
    tokens: Vec<(usize, Token)>,
    next: usize,
    end: usize,
    tags: usize,
    only_or: bool,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&(usize, Token)> {
        self.tokens.get(self.next)
    }

    fn or(&mut self) -> Result<(), TagError> {
        self.and()?;
        while matches!(self.peek(), Some((_, Token::Or))) {
            self.next += 1;
            self.and()?;
        }
        Ok(())
    }

    fn and(&mut self) -> Result<(), TagError> {
        self.unary()?;
        while matches!(self.peek(), Some((_, Token::And))) {
            self.only_or = false;
            self.next += 1;
            self.unary()?;
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<(), TagError> {
        let Some((pos, token)) = self.peek().cloned() else {
            return Err(at(self.end, "the expression ends where a tag was expected"));
        };
        if self.depth >= MAX_DEPTH {
            return Err(at(
                pos,
                format!("more than {MAX_DEPTH} nested `(` or `!`; simplify the expression"),
            ));
        }
        self.depth += 1;
        let result = self.unary_inner(pos, token);
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self, pos: usize, token: Token) -> Result<(), TagError> {
        self.next += 1;
        match token {
            Token::Not => {
                self.only_or = false;
                self.unary()
            }
            Token::Open => {
                self.or()?;
                match self.peek() {
                    Some((_, Token::Close)) => {
                        self.next += 1;
                        Ok(())
                    }
                    Some((p, t)) => Err(at(
                        *p,
                        format!("expected `)` or an operator, found {}", describe(t)),
                    )),
                    None => Err(at(pos, "this `(` is never closed")),
                }
            }
            Token::Tag(_) => {
                self.tags += 1;
                Ok(())
            }
            other => Err(at(
                pos,
                format!("expected a tag, `!` or `(`, found {}", describe(&other)),
            )),
        }
    }
}

/// Summary of a valid expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expression {
    pub tags: usize,
    pub only_or: bool,
}

/// Validates a tag expression, including the hub's limits on the number of tags.
pub fn parse(text: &str) -> Result<Expression, TagError> {
    let tokens = lex(text)?;
    if tokens.is_empty() {
        return Err(TagError {
            position: None,
            message: "is empty".into(),
        });
    }
    let mut p = Parser {
        end: text.chars().count() + 1,
        tokens,
        next: 0,
        tags: 0,
        only_or: true,
        depth: 0,
    };
    p.or()?;
    if let Some((pos, t)) = p.peek() {
        return Err(at(
            *pos,
            format!("expected `&&` or `||`, found {}", describe(t)),
        ));
    }
    let limit = if p.only_or {
        MAX_OR_TAGS
    } else {
        MAX_MIXED_TAGS
    };
    if p.tags > limit {
        return Err(TagError {
            position: None,
            message: if p.only_or {
                format!(
                    "names {} tags; the hub allows at most {MAX_OR_TAGS} in an expression of only `||`",
                    p.tags
                )
            } else {
                format!(
                    "names {} tags; the hub allows at most {MAX_MIXED_TAGS} in an expression with `&&` or `!`",
                    p.tags
                )
            },
        });
    }
    Ok(Expression {
        tags: p.tags,
        only_or: p.only_or,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_expressions() {
        for (text, tags, only_or) in [
            ("follows_RedSox", 1, true),
            (
                "(follows_RedSox || follows_Cardinals) && location_Boston",
                3,
                false,
            ),
            ("a||b||c", 3, true),
            ("!a", 1, false),
            ("!(a && b) || user:alice@example.com", 3, false),
            ("  ((a))  ", 1, true),
            ("lang:fr-CA || #vip || v1.2", 3, true),
            ("élève", 1, true),
        ] {
            let e = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((e.tags, e.only_or), (tags, only_or), "{text}");
        }
    }

    #[test]
    fn invalid_expressions_name_the_position() {
        for (text, pos, words) in [
            ("a & b", Some(3), "must be doubled"),
            ("a || ", Some(6), "ends where a tag was expected"),
            ("(a || b", Some(1), "never closed"),
            ("a b", Some(3), "expected `&&` or `||`, found tag `b`"),
            ("a && || b", Some(6), "expected a tag"),
            ("a)", Some(2), "found `)`"),
            ("tag with$dollar", Some(9), "`$` is not allowed"),
            ("", None, "is empty"),
            ("()", Some(2), "found `)`"),
        ] {
            let e = parse(text).expect_err(text);
            assert_eq!(e.position, pos, "{text}: {e}");
            assert!(e.to_string().contains(words), "{text}: {e}");
        }
    }

    #[test]
    fn limits() {
        let or20 = (1..=20)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(" || ");
        assert!(parse(&or20).is_ok());
        let or21 = format!("{or20} || t21");
        assert!(parse(&or21).expect_err("21").message.contains("at most 20"));
        assert!(parse("a && b && c && d && e && f").is_ok());
        let e = parse("a && b && c && d && e && f && g").expect_err("7 with &&");
        assert!(e.message.contains("at most 6"), "{e}");
        let e = parse("!a || b || c || d || e || f || g").expect_err("7 with !");
        assert!(e.message.contains("at most 6"), "{e}");
        let long = "x".repeat(121);
        assert!(
            parse(&long)
                .expect_err("long")
                .message
                .contains("at most 120")
        );
        assert!(check_tag(&"x".repeat(120)).is_ok());
        assert!(
            check_tag("a b")
                .expect_err("space")
                .contains("` ` at character 2")
        );
    }
}
