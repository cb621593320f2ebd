//! Escaping and checking MarkdownV2 and HTML markup as Telegram reads it.

use crate::provider::telegram::markup::{
    MARKDOWN_V2_RESERVED, check_html, check_markdown_v2, escape_html, escape_markdown_v2,
    escape_markdown_v2_url,
};

#[test]
fn escapes_every_markdown_v2_reserved_character() {
    assert_eq!(MARKDOWN_V2_RESERVED.chars().count(), 19);
    for c in MARKDOWN_V2_RESERVED.chars() {
        let text = format!("a{c}b");
        let escaped = escape_markdown_v2(&text);
        assert_eq!(escaped, format!("a\\{c}b"));
        assert_eq!(
            check_markdown_v2(&escaped).as_deref(),
            Ok(text.as_str()),
            "{c}"
        );
    }
    assert_eq!(
        escape_markdown_v2("v1.2.3 (beta) - 50% off! #1 [a] {b} =c |d| ~e~ `f` >g _h_ *i* \\"),
        "v1\\.2\\.3 \\(beta\\) \\- 50% off\\! \\#1 \\[a\\] \\{b\\} \\=c \\|d\\| \\~e\\~ \\`f\\` \\>g \\_h\\_ \\*i\\* \\\\"
    );
    assert_eq!(
        escape_markdown_v2_url("https://x.test/a_(b)\\c"),
        "https://x.test/a_(b\\)\\\\c"
    );
}

#[test]
fn escapes_html_reserved_characters() {
    assert_eq!(
        escape_html("a < b && c > \"d\""),
        "a &lt; b &amp;&amp; c &gt; &quot;d&quot;"
    );
    for text in ["<", ">", "&", "\"", "<b>not bold</b>", "&amp;"] {
        assert_eq!(
            check_html(&escape_html(text)).as_deref(),
            Ok(text),
            "{text}"
        );
    }
}

#[test]
fn markdown_v2_accepts_what_telegram_accepts() {
    for ok in [
        "*bold* _italic_ __underline__ ~strike~ ||spoiler||",
        "*bold _italic bold ~strike~ __underline italic bold___ bold*",
        "[inline URL](http://www.example.com/) and [user](tg://user?id=123456789)",
        "![👍](tg://emoji?id=5368324170671202286)",
        "`inline code with \\` and \\\\`",
        "```python\nprint(\"*not bold*\")\n```",
        ">quoted line\n>another",
        "**>expandable\n>quote||",
        "escaped \\. \\! \\- \\(x\\)",
        "___italic underline_\r__",
        "[a](http://x.test/a\\)b)",
    ] {
        assert!(
            check_markdown_v2(ok).is_ok(),
            "{ok}: {:?}",
            check_markdown_v2(ok)
        );
    }
    assert_eq!(
        check_markdown_v2("*Deploy* finished \\(v1\\.2\\)").as_deref(),
        Ok("Deploy finished (v1.2)")
    );
}

#[test]
fn markdown_v2_errors_point_at_the_offending_character() {
    let e = check_markdown_v2("Version 1.2").expect_err("unescaped dot");
    assert_eq!((e.position, e.line, e.column), (10, 1, 10));
    assert!(
        e.message.contains("`.` is reserved") && e.message.contains("\\."),
        "{e}"
    );

    let e = check_markdown_v2("ok\nnot *closed").expect_err("open bold");
    assert_eq!((e.position, e.line, e.column), (8, 2, 5));
    assert!(
        e.message.contains("bold") && e.message.contains("never closed"),
        "{e}"
    );

    let e = check_markdown_v2("*a _b* c_").expect_err("crossed");
    assert_eq!(e.position, 6);
    assert!(e.message.contains("italic"), "{e}");

    let e = check_markdown_v2("see [docs] now").expect_err("no url");
    assert_eq!(e.position, 10);
    let e = check_markdown_v2("[docs](http://x.test").expect_err("no )");
    assert_eq!(e.position, 7);
    let e = check_markdown_v2("trailing \\").expect_err("lone backslash");
    assert_eq!(e.position, 10);
    let e = check_markdown_v2("`code").expect_err("open code");
    assert_eq!(e.position, 1);
    for c in "()#+-={}.!>|]".chars() {
        let text = format!("x{c}");
        if c == '>' {
            assert!(check_markdown_v2(&text).is_err(), "{text}");
            continue;
        }
        let e = check_markdown_v2(&text).expect_err(&text);
        assert_eq!(e.position, 2, "{text}: {e}");
    }
}

#[test]
fn html_checks_tags_like_telegram() {
    for ok in [
        "<b>bold</b> <strong>b</strong> <i>i</i> <em>e</em> <u>u</u> <ins>i</ins> <s>s</s> <strike>s</strike> <del>d</del>",
        "<span class=\"tg-spoiler\">x</span> <tg-spoiler>y</tg-spoiler>",
        "<a href=\"https://x.test/?a=1&amp;b=2\">link</a>",
        "<tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>",
        "<pre><code class=\"language-rust\">fn main() {}</code></pre>",
        "<blockquote expandable>long</blockquote>",
        "Tom &amp; Jerry &lt;3 &#33; &#x21; & friends",
    ] {
        assert!(check_html(ok).is_ok(), "{ok}: {:?}", check_html(ok));
    }
    assert_eq!(check_html("<b>A &amp; B</b>").as_deref(), Ok("A & B"));
    let e = check_html("Hi <div>x</div>").expect_err("unsupported");
    assert_eq!(e.position, 4);
    assert!(e.message.contains("<div>"), "{e}");
    let e = check_html("a <b>bold <i>x</b></i>").expect_err("crossed");
    assert_eq!(e.position, 15);
    assert!(
        e.message.contains("</b>") && e.message.contains("<i>"),
        "{e}"
    );
    let e = check_html("1 < 2").expect_err("bare <");
    assert_eq!(e.position, 3);
    assert!(e.message.contains("&lt;"), "{e}");
    let e = check_html("x\n<b>open").expect_err("open");
    assert_eq!((e.position, e.line, e.column), (3, 2, 1));
    assert!(check_html("<a>no href</a>").is_err());
    assert!(check_html("<span>no class</span>").is_err());
    assert!(check_html("</b>").is_err());
}
