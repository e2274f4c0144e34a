package io.bursar.gateway;

import java.util.Map;

/** The 202 answer to a command: its id and where to look for its effect. */
record CommandAccepted(String commandId, Map<String, String> links) {
}
