package dev.reformer.cli;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Line charts as PNG with plain Java2D (headless): one x axis (epochs), one or more named series. */
final class Charts {
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c)};

    private Charts() {}

    static void line(Path png, String title, String yLabel, Map<String, double[]> series) throws IOException {
        int width = 720, height = 420, left = 70, right = 20, top = 40, bottom = 50;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        int points = 0;
        for (double[] ys : series.values()) {
            points = Math.max(points, ys.length);
            for (double y : ys) if (Double.isFinite(y)) { min = Math.min(min, y); max = Math.max(max, y); }
        }
        if (!(max > min)) { max = min + 1; }
        double pad = (max - min) * 0.05;
        min -= pad;
        max += pad;
        int plotWidth = width - left - right, plotHeight = height - top - bottom;
        g.setColor(Color.BLACK);
        g.drawString(title, left, 24);
        g.drawRect(left, top, plotWidth, plotHeight);
        for (int i = 0; i <= 4; i++) { // y ticks
            double value = min + (max - min) * i / 4;
            int y = top + plotHeight - (int) Math.round(plotHeight * i / 4.0);
            g.setColor(new Color(0xdddddd));
            g.drawLine(left + 1, y, left + plotWidth - 1, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format("%.3g", value), 6, y + 4);
        }
        for (int i = 0; i < points; i++) { // x ticks: epochs 1..n
            int x = left + (points == 1 ? plotWidth / 2 : (int) Math.round(plotWidth * i / (double) (points - 1)));
            g.drawString(String.valueOf(i + 1), x - 3, top + plotHeight + 16);
        }
        g.drawString("epoch", left + plotWidth / 2 - 15, height - 12);
        g.drawString(yLabel, left + 4, top + 14);
        int colour = 0, legendY = top + 14;
        for (var e : series.entrySet()) {
            g.setColor(COLORS[colour++ % COLORS.length]);
            g.setStroke(new BasicStroke(2f));
            double[] ys = e.getValue();
            int previousX = -1, previousY = -1;
            for (int i = 0; i < ys.length; i++) {
                if (!Double.isFinite(ys[i])) continue;
                int x = left + (ys.length == 1 ? plotWidth / 2 : (int) Math.round(plotWidth * i / (double) (ys.length - 1)));
                int y = top + plotHeight - (int) Math.round(plotHeight * (ys[i] - min) / (max - min));
                g.fillOval(x - 3, y - 3, 6, 6);
                if (previousX >= 0) g.drawLine(previousX, previousY, x, y);
                previousX = x;
                previousY = y;
            }
            g.drawString(e.getKey(), left + plotWidth - 160, legendY);
            legendY += 16;
        }
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }
}
