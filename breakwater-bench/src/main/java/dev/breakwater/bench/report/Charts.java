package dev.breakwater.bench.report;

import dev.breakwater.bench.report.Results.Burst;
import dev.breakwater.bench.report.Results.Pgbench;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.text.DecimalFormat;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The report's PNG charts, drawn with JFreeChart. */
final class Charts {

  private static final Map<String, Color> COLORS =
      Map.of(
          "direct", new Color(0x75, 0x75, 0x75),
          "breakwater", new Color(0x1f, 0x77, 0xb4),
          "pgbouncer", new Color(0xd6, 0x27, 0x28));

  private static final int PANEL_W = 520;
  private static final int PANEL_H = 400;

  static void write(Results r, Path dir, String name) throws IOException {
    List<String> modes = List.of(r.meta.getOrDefault("modes", "simple extended prepared").trim().split("\\s+"));
    List<String> targets = List.of(r.meta.getOrDefault("targets", "direct breakwater pgbouncer").trim().split("\\s+"));
    JFreeChart[] tps = new JFreeChart[modes.size()];
    JFreeChart[] latency = new JFreeChart[modes.size()];
    for (int i = 0; i < modes.size(); i++) {
      tps[i] = tpsChart(r, modes.get(i), targets);
      latency[i] = latencyChart(r, modes.get(i), targets);
    }
    save(tps, dir.resolve(name + "-tps.png"));
    save(latency, dir.resolve(name + "-latency.png"));
    save(new JFreeChart[] {burstChart(r, targets)}, dir.resolve(name + "-burst.png"));
  }

  private static JFreeChart tpsChart(Results r, String mode, List<String> targets) {
    XYSeriesCollection data = new XYSeriesCollection();
    for (String t : targets) {
      XYSeries s = new XYSeries(t);
      for (int c : r.clientCounts) {
        Pgbench cell = r.cell(t, mode, c);
        if (cell != null && !Double.isNaN(cell.medianTps())) {
          s.add(c, cell.medianTps());
        }
      }
      if (s.getItemCount() > 0) {
        data.addSeries(s);
      }
    }
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            "pgbench -S -M " + mode, "clients", "transactions/s (median of rounds)", data,
            PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    LogAxis x = new LogAxis("clients");
    x.setBase(10);
    x.setSmallestValue(1);
    x.setTickUnit(new NumberTickUnit(1), false, true);
    x.setNumberFormatOverride(new DecimalFormat("0"));
    plot.setDomainAxis(x);
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(true);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    for (int i = 0; i < data.getSeriesCount(); i++) {
      renderer.setSeriesPaint(i, COLORS.getOrDefault(data.getSeriesKey(i).toString(), Color.BLACK));
      renderer.setSeriesStroke(i, new BasicStroke(2.5f));
    }
    plot.setRenderer(renderer);
    style(chart);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    return chart;
  }

  private static JFreeChart latencyChart(Results r, String mode, List<String> targets) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (String t : targets) {
      for (String p : new String[] {"p50", "p99"}) {
        for (int c : r.clientCounts) {
          Pgbench cell = r.cell(t, mode, c);
          if (cell != null && cell.latencyUs.size() > 0) {
            data.addValue(cell.p(p.equals("p50") ? 50 : 99), t + " " + p, c + " clients");
          }
        }
      }
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            "pgbench -S -M " + mode + ": latency", null, "ms (log scale)", data,
            PlotOrientation.VERTICAL, true, false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    LogAxis y = new LogAxis("ms (log scale)");
    y.setSmallestValue(0.01);
    y.setTickUnit(new NumberTickUnit(1), false, true);
    y.setNumberFormatOverride(new DecimalFormat("0.###"));
    plot.setRangeAxis(y);
    BarRenderer renderer = new BarRenderer();
    renderer.setBarPainter(new StandardBarPainter());
    renderer.setShadowVisible(false);
    renderer.setItemMargin(0.02);
    for (int i = 0; i < data.getRowCount(); i++) {
      String key = data.getRowKey(i).toString();
      Color base = COLORS.getOrDefault(key.substring(0, key.indexOf(' ')), Color.BLACK);
      renderer.setSeriesPaint(i, key.endsWith("p50") ? lighter(base) : base);
    }
    plot.setRenderer(renderer);
    style(chart);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    return chart;
  }

  private static JFreeChart burstChart(Results r, List<String> targets) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (String t : targets) {
      Burst b = r.burst.get(t);
      if (b == null || b.ttfrUs.size() == 0) {
        continue;
      }
      data.addValue(b.p(50), "p50", t);
      data.addValue(b.p(90), "p90", t);
      data.addValue(b.p(99), "p99", t);
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            "Serverless burst: time to first row", null, "ms", data, PlotOrientation.VERTICAL, true,
            false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    BarRenderer renderer = new BarRenderer();
    renderer.setBarPainter(new StandardBarPainter());
    renderer.setShadowVisible(false);
    renderer.setSeriesPaint(0, new Color(0x9e, 0xc9, 0xe2));
    renderer.setSeriesPaint(1, new Color(0x4a, 0x90, 0xc2));
    renderer.setSeriesPaint(2, new Color(0x08, 0x45, 0x94));
    plot.setRenderer(renderer);
    style(chart);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    return chart;
  }

  private static Color lighter(Color c) {
    return new Color(
        c.getRed() + (255 - c.getRed()) / 2,
        c.getGreen() + (255 - c.getGreen()) / 2,
        c.getBlue() + (255 - c.getBlue()) / 2);
  }

  private static void style(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
  }

  /** Draws the charts side by side into one PNG. */
  private static void save(JFreeChart[] charts, Path file) throws IOException {
    BufferedImage img =
        new BufferedImage(PANEL_W * charts.length, PANEL_H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    for (int i = 0; i < charts.length; i++) {
      charts[i].draw(g, new Rectangle2D.Double(i * PANEL_W, 0, PANEL_W, PANEL_H));
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }

  private Charts() {}
}
