//! Charts drawn as SVG by the app itself: a few rectangles and lines are all the
//! dashboard needs, without a JavaScript chart library or a large chart crate.

use leptos::prelude::*;

/// One coloured series of a stacked bar chart.
#[derive(Clone)]
pub struct Series {
    pub label: String,
    pub color: &'static str,
    pub values: Vec<u64>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;

/// Bars per bucket, the series stacked on each other; every bar segment has a tooltip.
#[component]
pub fn StackedBars(labels: Vec<String>, series: Vec<Series>, #[prop(into)] title: String) -> impl IntoView {
    let buckets = labels.len().max(1);
    let totals: Vec<u64> = (0..labels.len())
        .map(|i| series.iter().map(|s| s.values.get(i).copied().unwrap_or(0)).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let plot_width = WIDTH - LEFT - 4.0;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let slot = plot_width / buckets as f64;
    let bar = (slot * 0.75).max(1.0);
    let scale = move |value: u64| value as f64 / max as f64 * plot_height;
    // Label every bucket when there are few, else about eight evenly.
    let label_every = (labels.len() / 8).max(1);
    let mut segments = Vec::new();
    for (index, _) in labels.iter().enumerate() {
        let x = LEFT + slot * index as f64 + (slot - bar) / 2.0;
        let mut stacked = 0u64;
        for s in &series {
            let value = s.values.get(index).copied().unwrap_or(0);
            if value == 0 {
                continue;
            }
            let y = TOP + plot_height - scale(stacked + value);
            segments.push(view! {
                <rect x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{bar:.1}") height=format!("{:.1}", scale(value))
                    fill=s.color data-series=s.label.clone() data-value=value>
                    <title>{format!("{}: {} ({})", s.label, value, labels[index])}</title>
                </rect>
            });
            stacked += value;
        }
    }
    let axis_labels = labels
        .iter()
        .enumerate()
        .filter(|(index, _)| index % label_every == 0)
        .map(|(index, label)| {
            let x = LEFT + slot * index as f64 + slot / 2.0;
            view! { <text x=format!("{x:.1}") y=format!("{:.1}", HEIGHT - 6.0) text-anchor="middle" class="axis">{label.clone()}</text> }
        })
        .collect_view();
    // 0, the middle and the top, each once: with a maximum of 1 the middle would be a second 0.
    let mut tick_values = vec![0, max / 2, max];
    tick_values.dedup();
    let ticks = tick_values
        .into_iter()
        .map(|tick| {
            let y = TOP + plot_height - scale(tick);
            view! {
                <line x1=format!("{LEFT}") x2=format!("{WIDTH}") y1=format!("{y:.1}") y2=format!("{y:.1}") class="grid"/>
                <text x=format!("{:.1}", LEFT - 4.0) y=format!("{:.1}", y + 4.0) text-anchor="end" class="axis">{tick}</text>
            }
        })
        .collect_view();
    let legend = series
        .iter()
        .map(|s| view! { <li><span class="swatch" style:background=s.color></span>{s.label.clone()}</li> })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=title.clone() data-testid="chart-by-source">
                {ticks}
                {segments}
                {axis_labels}
            </svg>
            <figcaption><ul class="legend">{legend}</ul></figcaption>
        </figure>
    }
}

/// One horizontal bar per row, 0 to 100 %, with its figure beside it.
#[derive(Clone)]
pub struct RateRow {
    pub label: String,
    pub color: &'static str,
    /// 0 to 1; `None` draws no bar (nothing to rate).
    pub rate: Option<f64>,
    pub caption: String,
}

#[component]
pub fn RateBars(rows: Vec<RateRow>, #[prop(into)] title: String) -> impl IntoView {
    const ROW: f64 = 28.0;
    const LABEL: f64 = 130.0;
    const BAR_WIDTH: f64 = 360.0;
    let height = ROW * rows.len() as f64 + 4.0;
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            let y = 4.0 + ROW * index as f64;
            let width = row.rate.unwrap_or(0.0).clamp(0.0, 1.0) * BAR_WIDTH;
            view! {
                <text x="0" y=format!("{:.1}", y + 16.0) class="axis">{row.label.clone()}</text>
                <rect x=format!("{LABEL}") y=format!("{y:.1}") width=format!("{BAR_WIDTH}") height="20" class="track"/>
                <rect x=format!("{LABEL}") y=format!("{y:.1}") width=format!("{width:.1}") height="20" fill=row.color
                    data-series=row.label.clone() data-rate=row.rate.map(|r| format!("{r:.3}")).unwrap_or_default()>
                    <title>{row.caption.clone()}</title>
                </rect>
                <text x=format!("{:.1}", LABEL + BAR_WIDTH + 8.0) y=format!("{:.1}", y + 16.0) class="axis">{row.caption}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-label=title data-testid="chart-hire-rate">{bars}</svg>
        </figure>
    }
}
