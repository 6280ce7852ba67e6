package dev.reformer.task;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Charts as PNG with plain Java2D (headless): line charts over epochs, and confusion matrices. */
public final class Charts {
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c)};

    private Charts() {}

    public static void line(Path png, String title, String yLabel, Map<String, double[]> series) throws IOException {
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

    /**
     * A confusion matrix: rows the true labels, columns the predicted ones, the count in each cell, shaded from white
     * (0) to blue (the largest count of the matrix); the diagonal's counts are the right answers.
     *
     * @param counts [labels][labels], counts[true][predicted]
     */
    public static void confusionMatrix(Path png, String title, java.util.List<String> labels, long[][] counts) throws IOException {
        int n = labels.size(), cell = Math.max(28, Math.min(60, 560 / Math.max(1, n))), left = 110, top = 70, bottom = 30, right = 20;
        int width = left + n * cell + right, height = top + n * cell + bottom + 20;
        BufferedImage image = new BufferedImage(Math.max(width, 360), height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), height);
        long max = 1;
        for (long[] row : counts) for (long c : row) max = Math.max(max, c);
        g.setColor(Color.BLACK);
        g.drawString(title, 10, 18);
        g.drawString("predicted", left + n * cell / 2 - 25, 36);
        g.drawString("true", 10, top - 6);
        java.awt.FontMetrics metrics = g.getFontMetrics();
        for (int i = 0; i < n; i++) {
            String name = labels.get(i), shortName = name;
            while (shortName.length() > 2 && metrics.stringWidth(shortName) > cell - 6) shortName = shortName.substring(0, shortName.length() - 2) + ".";
            g.setColor(Color.BLACK);
            g.drawString(name.length() > 14 ? name.substring(0, 13) + "." : name, 10, top + i * cell + cell / 2 + 5);   // row: true label
            g.drawString(shortName, left + i * cell + (cell - metrics.stringWidth(shortName)) / 2, top - 8);      // column: predicted
            for (int j = 0; j < n; j++) {
                double share = (double) counts[i][j] / max;
                g.setColor(new Color((int) Math.round(255 - 224 * share), (int) Math.round(255 - 136 * share), (int) Math.round(255 - 75 * share)));
                g.fillRect(left + j * cell, top + i * cell, cell, cell);
                g.setColor(new Color(0xcccccc));
                g.drawRect(left + j * cell, top + i * cell, cell, cell);
                String count = Long.toString(counts[i][j]);
                g.setColor(share > 0.55 ? Color.WHITE : Color.BLACK);
                g.drawString(count, left + j * cell + (cell - metrics.stringWidth(count)) / 2, top + i * cell + cell / 2 + 5);
            }
        }
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }
}
