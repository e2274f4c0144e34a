package io.bursar.app.verify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an audit found: how much it read, every violation by check (the first few of each kept, with the
 * record that shows them), and notices (what could not be checked, and why).
 */
public record AuditReport(Map<String, Long> counts, Map<Audit.Check, Long> violationCounts,
                          List<Audit.Violation> violations, List<String> notices) {

    public AuditReport {
        counts = Map.copyOf(counts);
        violationCounts = Map.copyOf(violationCounts);
        violations = List.copyOf(violations);
        notices = List.copyOf(notices);
    }

    /** True when no invariant is broken. */
    public boolean clean() {
        return violationCounts.isEmpty();
    }

    /** Violations of one check. */
    public long violationsOf(final Audit.Check check) {
        return violationCounts.getOrDefault(check, 0L);
    }

    /** The report for people: counts, then every check with its verdict, then the violations and notices. */
    public String text() {
        final StringBuilder out = new StringBuilder();
        new java.util.TreeMap<>(counts).forEach((what, count) -> out.append(String.format("  %-44s %,d%n", what, count)));
        out.append(System.lineSeparator());
        for (final Audit.Check check : Audit.Check.values()) {
            final long broken = violationsOf(check);
            out.append(String.format("  %-4s %-26s %s%s%n", broken == 0 ? "ok" : "FAIL", check.name(), check.description(),
                    broken == 0 ? "" : " (" + broken + " violations)"));
        }
        for (final Audit.Violation violation : violations) {
            out.append(String.format("%n  %s at %s%n      %s", violation.check(),
                    violation.at() == null ? "-" : violation.at(), violation.detail()));
        }
        if (!violations.isEmpty()) {
            out.append(System.lineSeparator());
        }
        for (final String notice : notices) {
            out.append(System.lineSeparator()).append("  note: ").append(notice);
        }
        out.append(System.lineSeparator()).append(System.lineSeparator()).append(clean()
                ? "No violations." : violationCounts.values().stream().mapToLong(Long::longValue).sum() + " violation(s).")
                .append(System.lineSeparator());
        return out.toString();
    }

    /** The report as JSON, for scripts. */
    public String json() {
        final Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("clean", clean());
        tree.put("counts", new java.util.TreeMap<>(counts));
        final Map<String, Long> byCheck = new LinkedHashMap<>();
        for (final Audit.Check check : Audit.Check.values()) {
            byCheck.put(check.name(), violationsOf(check));
        }
        tree.put("violationsByCheck", byCheck);
        tree.put("violations", violations.stream().map(violation -> {
            final Map<String, Object> one = new LinkedHashMap<>();
            one.put("check", violation.check());
            one.put("detail", violation.detail());
            if (violation.at() != null) {
                one.put("topic", violation.at().topic());
                one.put("partition", violation.at().partition());
                one.put("offset", violation.at().offset());
            }
            return one;
        }).toList());
        tree.put("notices", notices);
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(tree);
        } catch (final com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
