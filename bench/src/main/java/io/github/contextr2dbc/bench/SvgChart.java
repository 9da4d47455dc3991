package io.github.contextr2dbc.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Plain SVG charts drawn by the bench itself: ratio bars with whiskers, and log-x line charts. */
final class SvgChart {

    /** One line of a line chart: its name and (x, y) points. */
    record Series(String name, List<double[]> points) {
    }

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
        "#e377c2", "#7f7f7f"};

    private SvgChart() {
    }

    /**
     * Horizontal bars of ratios, grouped, with a whisker from low to high, a line at 1.0 and dashed lines at the
     * {@code targets}.
     */
    static String ratios(String title, List<DbReport.Ratio> ratios, double... targets) {
        double max = 1.5;
        for (DbReport.Ratio ratio : ratios) {
            max = Math.max(max, Double.isNaN(ratio.high()) ? ratio.median() : ratio.high());
        }
        max = Math.ceil(max * 4) / 4;
        int left = 330;
        int width = 420;
        int rowHeight = 18;
        Map<String, List<DbReport.Ratio>> groups = new LinkedHashMap<>();
        for (DbReport.Ratio ratio : ratios) {
            groups.computeIfAbsent(ratio.group(), g -> new ArrayList<>()).add(ratio);
        }
        int height = 50 + ratios.size() * rowHeight + groups.size() * 22 + 30;
        StringBuilder svg = header(left + width + 40, height, title);
        double scale = width / max;
        int y = 40;
        for (Map.Entry<String, List<DbReport.Ratio>> group : groups.entrySet()) {
            svg.append(text(10, y + 14, group.getKey(), "bold"));
            y += 22;
            for (DbReport.Ratio ratio : group.getValue()) {
                svg.append(text(20, y + 13, ratio.label(), "normal"));
                svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%.1f' height='%d' fill='%s'/>%n",
                        left, y + 2, ratio.median() * scale, rowHeight - 5, ratio.median() >= 1 ? "#4c9a5f"
                                : "#c9684f"));
                if (!Double.isNaN(ratio.low())) {
                    svg.append(String.format(Locale.ROOT,
                            "<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='black'/>%n",
                            left + ratio.low() * scale, left + ratio.high() * scale, y + 8, y + 8));
                }
                svg.append(text(left + (int) (Math.max(ratio.median(), Double.isNaN(ratio.high()) ? 0 : ratio.high())
                        * scale) + 4, y + 13, String.format(Locale.ROOT, "%.2f", ratio.median()), "normal"));
                y += rowHeight;
            }
        }
        svg.append(vertical(left + scale, 35, y, "black", ""));
        for (double target : targets) {
            svg.append(vertical(left + target * scale, 35, y, "#888", "4,3"));
            svg.append(text((int) (left + target * scale) - 10, y + 14, String.format(Locale.ROOT, "%.2f", target),
                    "normal"));
        }
        svg.append(text(left - 4, y + 14, "0", "normal"));
        svg.append(text((int) (left + scale) - 4, y + 26, "1.0", "normal"));
        return svg.append("</svg>\n").toString();
    }

    /** Lines over a logarithmic x axis (e.g. units of work in flight), linear y from 0. */
    static String lines(String title, String xLabel, String yLabel, List<Series> series) {
        int left = 70;
        int top = 40;
        int width = 520;
        int height = 300;
        double minX = Double.MAX_VALUE;
        double maxX = 0;
        double maxY = 0;
        for (Series s : series) {
            for (double[] p : s.points()) {
                minX = Math.min(minX, p[0]);
                maxX = Math.max(maxX, p[0]);
                maxY = Math.max(maxY, p[1]);
            }
        }
        if (maxX <= minX) {
            maxX = minX * 10;
        }
        maxY = maxY <= 0 ? 1 : maxY * 1.1;
        double logMin = Math.log10(Math.max(minX, 1));
        double logSpan = Math.log10(maxX) - logMin;
        StringBuilder svg = header(left + width + 200, top + height + 60, title);
        svg.append(String.format(Locale.ROOT,
                "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#444'/>%n",
                left, top, width, height));
        for (int i = 0; i <= 4; i++) {
            double value = maxY * i / 4;
            int y = top + height - height * i / 4;
            svg.append(text(5, y + 4, String.format(Locale.ROOT, "%.0f", value), "normal"));
        }
        for (Series s : series) {
            for (double[] p : s.points()) {
                int x = left + (int) ((Math.log10(Math.max(p[0], 1)) - logMin) / logSpan * width);
                svg.append(text(x - 8, top + height + 16, String.format(Locale.ROOT, "%.0f", p[0]), "normal"));
            }
            break;
        }
        svg.append(text(left + width / 2 - 60, top + height + 34, xLabel, "normal"));
        svg.append(text(5, top - 8, yLabel, "normal"));
        int index = 0;
        for (Series s : series) {
            String colour = COLOURS[index % COLOURS.length];
            StringBuilder points = new StringBuilder();
            for (double[] p : s.points()) {
                double x = left + (Math.log10(Math.max(p[0], 1)) - logMin) / logSpan * width;
                double y = top + height - p[1] / maxY * height;
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            svg.append(String.format(Locale.ROOT, "<polyline points='%s' fill='none' stroke='%s' stroke-width='2'/>%n",
                    points.toString().trim(), colour));
            svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='12' height='3' fill='%s'/>%n",
                    left + width + 15, top + 10 + index * 18, colour));
            svg.append(text(left + width + 32, top + 15 + index * 18, s.name(), "normal"));
            index++;
        }
        return svg.append("</svg>\n").toString();
    }

    private static StringBuilder header(int width, int height, String title) {
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                + "font-family='sans-serif' font-size='12'>%n<rect width='100%%' height='100%%' fill='white'/>%n",
                width, height));
        return svg.append(text(10, 20, title, "bold"));
    }

    private static String vertical(double x, int y1, int y2, String colour, String dash) {
        return String.format(Locale.ROOT, "<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='%s'%s/>%n", x, x, y1, y2,
                colour, dash.isEmpty() ? "" : " stroke-dasharray='" + dash + "'");
    }

    private static String text(int x, int y, String text, String weight) {
        return String.format(Locale.ROOT, "<text x='%d' y='%d' font-weight='%s'>%s</text>%n", x, y, weight,
                text.replace("&", "&amp;").replace("<", "&lt;"));
    }
}
