//! The cockpit's charts: drawn on the server as SVG with plotters, labels in Chinese left
//! to the browser's fonts, and always beside a table of the same numbers.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The brand blue of the stylesheet.
const BAR: RGBColor = RGBColor(0x0b, 0x57, 0xd0);

/// One bar per row, the first at the bottom (a ladder reads upwards), labelled on the
/// left; the scale runs to `scale` (100 for percentages) or to the longest bar. `None` if
/// there is nothing to draw or it could not be drawn (the table beside it says everything).
pub fn horizontal_bars(rows: &[(String, f64)], scale: Option<f64>) -> Option<String> {
    const WIDTH: u32 = 480;
    const ROW: u32 = 48;
    // Drawn 480 wide and shown at most that wide (the stylesheet): labels of 20 px read
    // at 20 px on a desk and, scaled to a phone's 330 px or so, at about 14 px.
    const LABEL: u32 = 20;
    if rows.is_empty() {
        return None;
    }
    let height = 48 + ROW * rows.len() as u32;
    let longest = rows.iter().map(|(label, _)| label.chars().count()).max().unwrap_or(4) as u32;
    let max = scale.unwrap_or_else(|| rows.iter().map(|(_, value)| *value).fold(0.0, f64::max).max(1.0));
    // Whole numbers on the axis: at most six ticks, none repeated.
    let ticks = (max.ceil() as usize + 1).clamp(2, 6);
    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(LABEL + 10)
            // Chinese characters are about one em wide: room for the longest label.
            .y_label_area_size((longest * LABEL + 12).min(WIDTH / 2))
            // Room after the longest bar for its value.
            .build_cartesian_2d(0.0..max * 1.2, (0..rows.len() - 1).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(0xe6, 0xe9, 0xee))
            .x_labels(ticks)
            .label_style(("sans-serif", LABEL))
            .y_label_formatter(&|value| match value {
                SegmentValue::CenterOf(i) => rows.get(*i).map(|(label, _)| label.clone()).unwrap_or_default(),
                _ => String::new(),
            })
            .x_label_formatter(&|value| format!("{value:.0}"))
            .draw()?;
        chart.draw_series(rows.iter().enumerate().map(|(i, (_, value))| {
            let mut bar =
                Rectangle::new([(0.0, SegmentValue::Exact(i)), (*value, SegmentValue::Exact(i + 1))], BAR.filled());
            bar.set_margin(6, 6, 0, 0);
            bar
        }))?;
        // Each bar's value at its end, so that the chart reads without the table.
        let unit = if scale == Some(100.0) { "%" } else { "" };
        chart.draw_series(rows.iter().enumerate().map(|(i, (_, value))| {
            let style = ("sans-serif", LABEL).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
            Text::new(format!(" {value:.0}{unit}"), (*value, SegmentValue::CenterOf(i)), style)
        }))?;
        root.present()?;
        Ok(())
    })();
    match drawn {
        Ok(()) => Some(svg),
        Err(error) => {
            tracing::warn!(%error, "a chart could not be drawn");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_chart_is_svg_with_its_labels() {
        let svg =
            horizontal_bars(&[("科技型中小企业".into(), 120.0), ("国家高新技术企业".into(), 45.0)], None).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("科技型中小企业") && svg.contains("<rect"), "{svg}");
        assert!(horizontal_bars(&[], None).is_none());
    }
}
