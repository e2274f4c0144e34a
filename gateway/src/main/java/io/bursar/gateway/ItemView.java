package io.bursar.gateway;

import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.LoanTerms;

/**
 * The JSON shape of an item and its stock: available + held + sold = stocked. For a loan, {@code loan} adds its
 * terms and its allocation: notes offered (stocked), reserved by orders under way (held), invested (sold) and
 * still available, and the amount offered.
 */
record ItemView(String itemId, String categoryId, String name, long priceMinor, String currency, long available,
                long held, long sold, long stocked, String updatedAt, Loan loan) {

    /** A loan's terms and the amount offered in notes of {@code priceMinor}. */
    record Loan(int rateBps, int termMonths, long notesOffered, long notesReserved, long notesInvested,
                long notesAvailable, Long amountOfferedMinor) {
    }

    static ItemView of(final Item item) {
        final LoanTerms terms = item.getLoan();
        Loan loan = null;
        if (terms != null) {
            Long offered;
            try {
                offered = Math.multiplyExact(item.getStocked(), item.getPrice().getAmountMinor());
            } catch (final ArithmeticException e) {
                offered = null;
            }
            loan = new Loan(terms.getRateBps(), terms.getTermMonths(), item.getStocked(), item.getHeld(), item.getSold(),
                    item.getAvailable(), offered);
        }
        return new ItemView(item.getItemId(), item.getCategoryId(), item.getName(), item.getPrice().getAmountMinor(),
                item.getPrice().getCurrency(), item.getAvailable(), item.getHeld(), item.getSold(), item.getStocked(),
                item.getUpdatedAt().toString(), loan);
    }
}
