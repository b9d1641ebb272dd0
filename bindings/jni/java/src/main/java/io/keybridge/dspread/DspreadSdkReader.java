package io.keybridge.dspread;

import io.keybridge.jni.ReaderCommands;
import io.keybridge.jni.ReaderOutcome;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The app's own, connected Dspread {@code com.dspread.xpos.QPOSService}, driven by reflection (the
 * vendor's AAR cannot ship with keybridge) as a {@link ReaderCommands}: keybridge's loader calls
 * the vendor's {@code updateKeyByTR_31(int, String)} and {@code getKeyCheckValue(int,
 * CHECKVALUE_KEYTYPE)} on it, and learns their outcomes from the vendor's callbacks.
 *
 * <p>Those callbacks go to the app's listener. keybridge observes them by standing in front of it:
 * {@link #wrap} returns a listener implementing the vendor's interface that passes every callback
 * on to the app's listener, except the answers to commands keybridge started (the TR-31 result,
 * the KCV, {@code onError}, {@code onQposIdResult}) while they are outstanding. The vendor SDK
 * answers one command at a time, in order, so each such callback answers the oldest command
 * keybridge is waiting for. Start no other vendor command while keybridge loads a key.
 */
final class DspreadSdkReader implements ReaderCommands {
    /** The vendor's {@code <TYPE>_KCV} entry that holds the KCV of a TR-31 key of each usage. To confirm on hardware. */
    private static final Map<String, String> KCV_ENTRY_BY_USAGE = new HashMap<>();

    static {
        KCV_ENTRY_BY_USAGE.put("K0", "MKSK_TMK_KCV");
        KCV_ENTRY_BY_USAGE.put("P0", "MKSK_PIK_KCV");
        KCV_ENTRY_BY_USAGE.put("D0", "MKSK_TDK_KCV");
        KCV_ENTRY_BY_USAGE.put("B1", "DUKPT_PIN_IPEK_KCV");
    }

    private enum Command { LOAD, KEY_CHECK_VALUE, QPOS_ID }

    /** A command keybridge started and the vendor has not answered yet. */
    private static final class Pending {
        final long id;
        final Command command;
        final int keyIndex;

        Pending(long id, Command command, int keyIndex) {
            this.id = id;
            this.command = command;
            this.keyIndex = keyIndex;
        }
    }

    /** The vendor's answer to the pending command {@code id}: a {@link ReaderOutcome} or a POS id table. */
    private static final class Answer {
        final long id;
        final Object value;

        Answer(long id, Object value) {
            this.id = id;
            this.value = value;
        }
    }

    private final Object pos;
    private final Class<?> listenerType;
    private final Method updateKey;
    private final Method updateKeyWithKsn;
    private final Method getKeyCheckValue;
    private final Object allKeyTypes;
    private final Method getQposId;

    private final Deque<Pending> pending = new ArrayDeque<>();
    private final LinkedBlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
    private final Map<Integer, String> usageByKeyIndex = new HashMap<>();
    private long lastStarted;
    private volatile boolean observing;

    DspreadSdkReader(Object pos) {
        if (pos == null) {
            throw new IllegalArgumentException("the Dspread QPOSService must not be null");
        }
        this.pos = pos;
        this.updateKey = method(pos, "updateKeyByTR_31", int.class, String.class);
        this.updateKeyWithKsn = optionalMethod(pos, "updateKeyByTR_31", int.class, String.class, String.class);
        this.getQposId = method(pos, "getQposId");
        this.listenerType = parameterOf(pos, "initListener", 1, 0);
        Class<?> keyTypes = parameterOf(pos, "getKeyCheckValue", 2, 1);
        this.getKeyCheckValue = method(pos, "getKeyCheckValue", int.class, keyTypes);
        this.allKeyTypes = constant(keyTypes, "DUKPT_MKSK_ALLTYPE");
    }

    /**
     * The listener to give the vendor's {@code initListener} (with or without a Handler): it
     * passes every callback to {@code appListener} (may be null) except the answers keybridge waits for.
     */
    @SuppressWarnings("unchecked")
    <L> L wrap(Object appListener) {
        if (appListener != null && !listenerType.isInstance(appListener)) {
            throw new IllegalArgumentException("the app's listener must implement " + listenerType.getName());
        }
        observing = true;
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return objectMethod(proxy, method, args);
            }
            if (claim(method.getName(), args)) {
                return null;
            }
            if (appListener == null) {
                return defaultValue(method.getReturnType());
            }
            try {
                return method.invoke(appListener, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (L) Proxy.newProxyInstance(listenerType.getClassLoader(), new Class<?>[] {listenerType}, handler);
    }

    @Override
    public void startLoad(int keyIndex, String keyBlock, String ksn) throws Exception {
        synchronized (pending) {
            usageByKeyIndex.put(keyIndex, keyBlock.length() >= 7 ? keyBlock.substring(5, 7) : "");
        }
        if (ksn == null) {
            start(Command.LOAD, keyIndex, updateKey, keyIndex, keyBlock);
        } else if (updateKeyWithKsn != null) {
            start(Command.LOAD, keyIndex, updateKeyWithKsn, keyIndex, keyBlock, ksn);
        } else {
            throw new IllegalStateException("this Dspread SDK has no updateKeyByTR_31(int, String, String) to pass a KSN");
        }
    }

    @Override
    public void startKeyCheckValue(int keyIndex) throws Exception {
        start(Command.KEY_CHECK_VALUE, keyIndex, getKeyCheckValue, keyIndex, allKeyTypes);
    }

    /** Through the vendor's {@code getQposId()}: its POS id is the one the key service knows the reader by. */
    @Override
    public boolean startDeviceInfo() throws Exception {
        start(Command.QPOS_ID, 0, getQposId);
        return true;
    }

    @Override
    public ReaderOutcome awaitOutcome(int timeoutMs) throws InterruptedException {
        Object value = await(timeoutMs);
        if (value instanceof Map) {
            Map<?, ?> ids = (Map<?, ?>) value;
            return ReaderOutcome.deviceInfo(String.valueOf(ids.get("posId")), String.valueOf(ids.get("psamId")));
        }
        return value instanceof ReaderOutcome ? (ReaderOutcome) value : null;
    }

    /** The vendor's {@code getQposId()} answer, waiting at most {@code timeoutMs}. */
    KeyLoaderBackend.Result qposId(int timeoutMs) {
        try {
            start(Command.QPOS_ID, 0, getQposId);
            Object value = await(timeoutMs);
            if (value instanceof Map) {
                Map<String, String> info = new HashMap<>();
                ((Map<?, ?>) value).forEach((k, v) -> info.put(String.valueOf(k), String.valueOf(v)));
                return KeyLoaderBackend.Result.deviceInfo(info);
            }
            String error = value instanceof ReaderOutcome ? ((ReaderOutcome) value).getError() : QPOSService.Error.TIMEOUT.name();
            return KeyLoaderBackend.Result.failed(error, "the Dspread SDK did not report the POS id (" + error + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return KeyLoaderBackend.Result.failed(QPOSService.Error.UNKNOWN.name(), "interrupted");
        } catch (Exception e) {
            return KeyLoaderBackend.Result.failed(QPOSService.Error.COMM_ERROR.name(), e.getMessage());
        }
    }

    @Override
    public void close() {
        synchronized (pending) {
            pending.clear();
        }
    }

    private void start(Command command, int keyIndex, Method method, Object... args) throws Exception {
        if (!observing) {
            throw new IllegalStateException("keybridge does not see the Dspread SDK's callbacks: install the listener"
                    + " from DspreadSdkBackend.wrapListener with the SDK's initListener first");
        }
        Pending started;
        synchronized (pending) {
            started = new Pending(++lastStarted, command, keyIndex);
            pending.addLast(started);
        }
        try {
            method.invoke(pos, args);
        } catch (InvocationTargetException | IllegalAccessException e) {
            synchronized (pending) {
                pending.remove(started);
            }
            Throwable cause = e instanceof InvocationTargetException ? e.getCause() : e;
            // The exception's class only: its message may quote the key block it was given.
            throw new IllegalStateException("the Dspread SDK's " + method.getName() + " threw " + cause.getClass().getName(), cause);
        }
    }

    /** The answer to the command started last; answers to earlier ones are stale and dropped. */
    private Object await(int timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            Answer answer = answers.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (answer == null) {
                return null;
            }
            synchronized (pending) {
                if (answer.id == lastStarted) {
                    return answer.value;
                }
            }
        }
    }

    /** Takes a callback that answers a pending command; false leaves it to the app's listener. */
    private boolean claim(String callback, Object[] args) {
        synchronized (pending) {
            Pending answered;
            Object value;
            switch (callback) {
                case "onReturnUpdateKeyByTR_31Result":
                    answered = oldest(Command.LOAD);
                    value = Boolean.TRUE.equals(args[0]) ? ReaderOutcome.loaded() : ReaderOutcome.failed(true, ReaderOutcome.REFUSED);
                    break;
                case "onGetKeyCheckValue":
                    answered = oldest(Command.KEY_CHECK_VALUE);
                    value = answered == null ? null : keyCheckValue(answered.keyIndex, (Map<?, ?>) args[0]);
                    break;
                case "onQposIdResult":
                    answered = oldest(Command.QPOS_ID);
                    value = args[0];
                    break;
                case "onError":
                    answered = pending.pollFirst();
                    value = answered == null ? null
                            : ReaderOutcome.failed(answered.command == Command.LOAD, ((Enum<?>) args[0]).name());
                    break;
                default:
                    return false;
            }
            if (answered == null) {
                return false;
            }
            answers.add(new Answer(answered.id, value));
            return true;
        }
    }

    /**
     * Removes and returns the oldest pending command of this kind, with every older one: the SDK
     * answers in order, so a command before it will never be answered.
     */
    private Pending oldest(Command command) {
        for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
            if (it.next().command == command) {
                Pending found;
                do {
                    found = pending.pollFirst();
                } while (found.command != command);
                return found;
            }
        }
        return null;
    }

    /** The KCV of the key last loaded into {@code keyIndex}, from the vendor's table of check values. */
    private ReaderOutcome keyCheckValue(int keyIndex, Map<?, ?> table) {
        String entry = KCV_ENTRY_BY_USAGE.get(usageByKeyIndex.get(keyIndex));
        Object kcv = entry == null || table == null ? null : table.get(entry);
        if (kcv == null || kcv.toString().trim().isEmpty()) {
            // The reader cannot tell keybridge this key's KCV: the load stays UNVERIFIED.
            return ReaderOutcome.failed(false, QPOSService.Error.CMD_NOT_AVAILABLE.name());
        }
        return ReaderOutcome.keyCheckValue(kcv.toString().trim());
    }

    private static Object objectMethod(Object proxy, Method method, Object[] args) {
        switch (method.getName()) {
            case "equals":
                return proxy == args[0];
            case "hashCode":
                return System.identityHashCode(proxy);
            default:
                return "keybridge listener for the Dspread SDK";
        }
    }

    private static Object defaultValue(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        return type.isPrimitive() && type != void.class ? 0 : null;
    }

    /** A public method of the vendor's public API class (its implementation class may be hidden). */
    private static Method optionalMethod(Object pos, String name, Class<?>... parameters) {
        for (Class<?> c = pos.getClass(); c != null; c = c.getSuperclass()) {
            if (Modifier.isPublic(c.getModifiers())) {
                try {
                    return c.getMethod(name, parameters);
                } catch (NoSuchMethodException e) {
                    // not declared here: keep looking up the hierarchy
                }
            }
        }
        return null;
    }

    private static Method method(Object pos, String name, Class<?>... parameters) {
        Method m = optionalMethod(pos, name, parameters);
        if (m == null) {
            StringBuilder signature = new StringBuilder(name).append('(');
            for (int i = 0; i < parameters.length; i++) {
                signature.append(i == 0 ? "" : ", ").append(parameters[i].getSimpleName());
            }
            throw new IllegalArgumentException(pos.getClass().getName() + " is not a Dspread QPOSService of SDK 8 or later:"
                    + " it has no public " + signature.append(')'));
        }
        return m;
    }

    /** The type of parameter {@code index} of the public method {@code name} with {@code count} parameters. */
    private static Class<?> parameterOf(Object pos, String name, int count, int index) {
        for (Method m : pos.getClass().getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == count && !m.getParameterTypes()[index].isPrimitive()) {
                return m.getParameterTypes()[index];
            }
        }
        throw new IllegalArgumentException(pos.getClass().getName() + " is not a Dspread QPOSService: it has no " + name
                + " with " + count + " parameter(s)");
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object constant(Class<?> enumType, String name) {
        if (!enumType.isEnum()) {
            throw new IllegalArgumentException(enumType.getName() + " is not the Dspread CHECKVALUE_KEYTYPE enum");
        }
        return Enum.valueOf((Class) enumType, name);
    }
}
