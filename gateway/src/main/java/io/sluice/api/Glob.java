package io.sluice.api;

/**
 * Glob matching where {@code *} matches any run of characters (possibly empty) and every other character
 * matches itself. Used for type filters here and topic patterns by auth. Allocation-free, linear in practice
 * (greedy with single backtrack point, the classic wildcard algorithm).
 */
public final class Glob {
    private Glob() {
    }

    public static boolean matches(String glob, String text) {
        int g = 0;
        int t = 0;
        int starG = -1;
        int starT = 0;
        int gl = glob.length();
        int tl = text.length();
        while (t < tl) {
            if (g < gl && glob.charAt(g) == '*') {
                starG = g++;
                starT = t;
            } else if (g < gl && glob.charAt(g) == text.charAt(t)) {
                g++;
                t++;
            } else if (starG >= 0) {
                g = starG + 1;
                t = ++starT;
            } else {
                return false;
            }
        }
        while (g < gl && glob.charAt(g) == '*') {
            g++;
        }
        return g == gl;
    }
}
