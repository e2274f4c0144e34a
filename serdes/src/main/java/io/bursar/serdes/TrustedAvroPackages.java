// Lets Avro 1.12 instantiate Bursar's generated classes, which it refuses by default outside trusted packages.
package io.bursar.serdes;

import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Adds {@value #SCHEMAS_PACKAGE} to the classes Avro may instantiate while reading.
 *
 * <p>Setting the {@code org.apache.avro.SERIALIZABLE_PACKAGES} system property is not enough here:
 * Avro reads it once, when its validator class is initialised, which may already have happened by
 * the time a serde is created. Widening the global predicate works whenever it is done, and keeps
 * whatever the application trusted before (including that system property).
 */
public final class TrustedAvroPackages {

    /** The package of every generated Bursar record, enum and fixed. */
    public static final String SCHEMAS_PACKAGE = "io.bursar.schemas";

    private static final String SCHEMAS_PACKAGE_PREFIX = SCHEMAS_PACKAGE + ".";
    private static boolean installed;

    private TrustedAvroPackages() {
    }

    /** Makes Avro trust {@value #SCHEMAS_PACKAGE} and its sub-packages; idempotent and thread-safe. */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        final ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
        final ClassSecurityPredicate schemas = type -> type.getName().startsWith(SCHEMAS_PACKAGE_PREFIX);
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(previous, schemas));
        installed = true;
    }
}
