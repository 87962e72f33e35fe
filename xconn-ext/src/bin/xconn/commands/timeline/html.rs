//! The HTML variant: a page that holds the very same SVG, inline (no
//! script, no external resource), for a browser or a ticket attachment.

use super::style::esc;

/// A standalone HTML page showing `svg` (as [`super::svg::render`] wrote it).
pub fn page(title: &str, svg: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n\
         <style>body{{margin:16px;background:#F5F7FA}}svg{{max-width:100%;height:auto;\
         background:#FFFFFF;box-shadow:0 1px 3px rgba(0,0,0,.15)}}</style>\n\
         </head>\n<body>\n{svg}</body>\n</html>\n",
        esc(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeds_the_svg_verbatim_and_escapes_the_title() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><title>a</title></svg>\n";
        let html = page("x <&> y", svg);
        assert!(html.contains(svg));
        assert!(html.contains("<title>x &lt;&amp;&gt; y</title>"));
        assert!(!html.contains("<script"));
    }
}
