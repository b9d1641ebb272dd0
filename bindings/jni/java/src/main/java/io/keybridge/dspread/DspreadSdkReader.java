package io.keybridge.dspread;

import io.keybridge.jni.ReaderCommands;
import io.keybridge.jni.ReaderOutcome;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The app's own, connected Dspread {@code com.dspread.xpos.QPOSService}, driven by reflection (the
 * vendor's AAR cannot ship with keybridge) as a {@link ReaderCommands}: keybridge's loader calls
 * the vendor's {@code updateKeyByTR_31} and {@code getKeyCheckValue} on it, and learns their
 * outcomes from the vendor's callbacks.
 *
 * <p>Those callbacks go to the app's listener. keybridge observes them by standing in front of it:
 * {@link #wrap} returns a listener implementing the vendor's interface that passes every callback
 * on to the app's listener, except the answers to commands keybridge started (the TR-31 result,
 * the check values, {@code onError}, {@code onQposIdResult}) while they are outstanding. The vendor
 * SDK answers its commands in order, so each such callback answers the oldest command keybridge is
 * waiting for. Start no other vendor command while keybridge loads a key.
 *
 * <p>When keybridge gives up on a command (its answer did not come in time, or a newer command
 * started), keybridge has reported its outcome, and the command's late answer must not report a
 * second one. Since the SDK answers in order, the next answer of that command's own kind
 * ({@code onReturnUpdateKeyByTR_31Result}, {@code onGetKeyCheckValue}, {@code onQposIdResult}) is
 * its late answer, and is dropped; an answer of another kind shows that the SDK moved past it,
 * and from then on it is forgotten. An {@code onError} is taken as its late answer only while
 * keybridge waits for a newer command (the app starts none then); otherwise it reaches the app,
 * which may have caused it. So an SDK that never answers swallows none of the app's callbacks but
 * one answer of the same kind as keybridge's unanswered command.
 */
final class DspreadSdkReader implements ReaderCommands {
    /**
     * The vendor's check value type of a key of each TR-31 usage (M* is any MAC key): the reader's
     * slot kinds a load writes, read back by {@code getKeyCheckValue}. To confirm on hardware.
     */
    private static final Map<String, QPOSService.CHECKVALUE_KEYTYPE> TYPE_BY_USAGE = new HashMap<>();

    static {
        TYPE_BY_USAGE.put("K0", QPOSService.CHECKVALUE_KEYTYPE.MKSK_TMK);
        TYPE_BY_USAGE.put("P0", QPOSService.CHECKVALUE_KEYTYPE.MKSK_PIK);
        TYPE_BY_USAGE.put("D0", QPOSService.CHECKVALUE_KEYTYPE.MKSK_TDK);
    }

    private enum Command {
        LOAD("onReturnUpdateKeyByTR_31Result"), CHECK_VALUE("onGetKeyCheckValue"), QPOS_ID("onQposIdResult");

        /** The vendor callback that answers this command (besides {@code onError}). */
        final String answer;

        Command(String answer) {
            this.answer = answer;
        }
    }

    /** A command keybridge started and the vendor has not answered yet. */
    private static final class Pending {
        final long id;
        final Command command;
        /** Turns the answer's callback argument into what the waiting call returns. */
        final Function<Object, Object> answer;

        Pending(long id, Command command, Function<Object, Object> answer) {
            this.id = id;
            this.command = command;
            this.answer = answer;
        }
    }

    /** The vendor's answer to the pending command {@code id}. */
    private static final class Answer {
        final long id;
        final Object value;

        Answer(long id, Object value) {
            this.id = id;
            this.value = value;
        }
    }

    /** What keybridge knows about the key last loaded into a key index: which check values show it. */
    private static final class Loaded {
        final String usage;
        final QPOSService.TR31KeyType keyType;

        Loaded(String usage, QPOSService.TR31KeyType keyType) {
            this.usage = usage;
            this.keyType = keyType;
        }
    }

    private final Object pos;
    private final Class<?> listenerType;
    private final Method updateKey;
    private final Method updateKeyTyped;
    private final Method updateKeyWithKsn;
    private final Method updateKeyWithKsnTyped;
    private final Method getKeyCheckValue;
    private final Method getKeyCheckValueSized;
    private final Class<?> checkValueTypes;
    private final Method getQposId;

    private final Deque<Pending> pending = new ArrayDeque<>();
    /** Commands keybridge gave up on whose answers have not come, oldest first: all older than every pending one. */
    private final Deque<Pending> givenUp = new ArrayDeque<>();
    private final LinkedBlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
    private final Map<Integer, Loaded> loadedByKeyIndex = new HashMap<>();
    private long lastStarted;
    private volatile boolean observing;
    /** The vendor's key type and timeout (s) for the next load; set by {@link DspreadSdkBackend}, used once. */
    private volatile QPOSService.TR31KeyType nextKeyType;
    private volatile int nextLoadTimeoutSecs;

    DspreadSdkReader(Object pos) {
        if (pos == null) {
            throw new IllegalArgumentException("the Dspread QPOSService must not be null");
        }
        this.pos = pos;
        this.updateKey = method(pos, "updateKeyByTR_31", int.class, String.class);
        this.getQposId = method(pos, "getQposId");
        this.listenerType = parameterOf(pos, "initListener", 1, 0);
        this.checkValueTypes = parameterOf(pos, "getKeyCheckValue", 2, 1);
        this.getKeyCheckValue = method(pos, "getKeyCheckValue", int.class, checkValueTypes);
        this.getKeyCheckValueSized = optionalMethod(pos, "getKeyCheckValue", int.class, checkValueTypes, int.class, int.class);
        this.updateKeyWithKsn = optionalMethod(pos, "updateKeyByTR_31", int.class, String.class, String.class);
        this.updateKeyTyped = optionalMethodNamed(pos, "updateKeyByTR_31", 4, 2);
        this.updateKeyWithKsnTyped = optionalMethodNamed(pos, "updateKeyByTR_31", 4, 3);
        constant(checkValueTypes, "DUKPT_MKSK_ALLTYPE"); // the vendor's enum, or say plainly that it is not
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

    /** The vendor's key type and timeout for the next {@link #startLoad}, which uses them once. */
    void nextLoad(QPOSService.TR31KeyType keyType, int timeoutSecs) {
        this.nextKeyType = keyType;
        this.nextLoadTimeoutSecs = timeoutSecs;
    }

    /**
     * Through the vendor's {@code updateKeyByTR_31}: {@code (index, block)}, {@code (index, block,
     * keyType, timeout)}, {@code (index, ksn, block)} or {@code (index, ksn, block, keyType)},
     * the vendor's argument orders.
     */
    @Override
    public void startLoad(int keyIndex, String keyBlock, String ksn) throws Exception {
        QPOSService.TR31KeyType keyType = nextKeyType;
        int timeoutSecs = nextLoadTimeoutSecs > 0 ? nextLoadTimeoutSecs : DspreadSdkBackend.VENDOR_LOAD_TIMEOUT_SECS;
        nextKeyType = null;
        nextLoadTimeoutSecs = 0;
        synchronized (pending) {
            loadedByKeyIndex.put(keyIndex, new Loaded(keyBlock.length() >= 7 ? keyBlock.substring(5, 7) : "", keyType));
        }
        Function<Object, Object> verdict = result -> Boolean.TRUE.equals(result) ? ReaderOutcome.loaded()
                : ReaderOutcome.failed(true, ReaderOutcome.REFUSED);
        if (ksn == null && keyType == null) {
            start(Command.LOAD, verdict, updateKey, keyIndex, keyBlock);
        } else if (ksn == null) {
            start(Command.LOAD, verdict, require(updateKeyTyped, "updateKeyByTR_31(int, String, TR31KeyType, int)"), keyIndex,
                    keyBlock, vendorConstant(updateKeyTyped.getParameterTypes()[2], keyType), timeoutSecs);
        } else if (keyType == null) {
            start(Command.LOAD, verdict, require(updateKeyWithKsn, "updateKeyByTR_31(int, String, String)"), keyIndex, ksn, keyBlock);
        } else {
            start(Command.LOAD, verdict, require(updateKeyWithKsnTyped, "updateKeyByTR_31(int, String, String, TR31KeyType)"),
                    keyIndex, ksn, keyBlock, vendorConstant(updateKeyWithKsnTyped.getParameterTypes()[3], keyType));
        }
    }

    /**
     * Reads the check value that shows the key last loaded into {@code keyIndex}: the type its
     * usage maps to (K0 MKSK_TMK, P0 MKSK_PIK, D0 MKSK_TDK, M* MKSK_MCK), read alone; for a B1 key
     * every DUKPT IPEK type the load wrote (all three without a key type, PIN for NEW_KEY_PIN, TRK
     * and EMV for NEW_KEY_DATA), read together, which must all hold the same KCV. A key of another
     * usage has no check value keybridge knows to read: CMD_NOT_AVAILABLE (the load stays
     * unverified, and is not reported loaded if a KCV is known for it).
     */
    @Override
    public void startKeyCheckValue(int keyIndex) throws Exception {
        Loaded loaded;
        synchronized (pending) {
            loaded = loadedByKeyIndex.get(keyIndex);
        }
        String usage = loaded == null ? "" : loaded.usage;
        List<QPOSService.CHECKVALUE_KEYTYPE> shown = new ArrayList<>();
        if (usage.equals("B1")) {
            QPOSService.TR31KeyType type = loaded.keyType;
            if (type != QPOSService.TR31KeyType.NEW_KEY_PIN) {
                shown.add(QPOSService.CHECKVALUE_KEYTYPE.DUKPT_TRK_IPEK);
                shown.add(QPOSService.CHECKVALUE_KEYTYPE.DUKPT_EMV_IPEK);
            }
            if (type != QPOSService.TR31KeyType.NEW_KEY_DATA) {
                shown.add(QPOSService.CHECKVALUE_KEYTYPE.DUKPT_PIN_IPEK);
            }
        } else if (usage.startsWith("M")) {
            shown.add(QPOSService.CHECKVALUE_KEYTYPE.MKSK_MCK);
        } else if (TYPE_BY_USAGE.containsKey(usage)) {
            shown.add(TYPE_BY_USAGE.get(usage));
        }
        if (shown.isEmpty()) {
            synchronized (pending) {
                giveUpPending();
                answers.add(new Answer(++lastStarted, ReaderOutcome.failed(false, QPOSService.Error.CMD_NOT_AVAILABLE.name())));
            }
            return;
        }
        QPOSService.CHECKVALUE_KEYTYPE asked = shown.size() == 1 ? shown.get(0) : QPOSService.CHECKVALUE_KEYTYPE.DUKPT_MKSK_ALLTYPE;
        start(Command.CHECK_VALUE, table -> keyCheckValue((Map<?, ?>) table, shown), getKeyCheckValue, keyIndex,
                constant(checkValueTypes, asked.name()));
    }

    /** Through the vendor's {@code getQposId()}: its POS id is the one the key service knows the reader by. */
    @Override
    public boolean startDeviceInfo() throws Exception {
        start(Command.QPOS_ID, ids -> {
            Map<?, ?> table = (Map<?, ?>) ids;
            return ReaderOutcome.deviceInfo(String.valueOf(table.get("posId")), String.valueOf(table.get("psamId")));
        }, getQposId);
        return true;
    }

    @Override
    public ReaderOutcome awaitOutcome(int timeoutMs) throws InterruptedException {
        Object value = await(timeoutMs);
        return value instanceof ReaderOutcome ? (ReaderOutcome) value : null;
    }

    /** The vendor's {@code getQposId()} table, waiting at most {@code timeoutMs}. */
    KeyLoaderBackend.Result qposId(int timeoutMs) {
        return ask(timeoutMs, "the POS id", Command.QPOS_ID, table -> KeyLoaderBackend.Result.deviceInfo(strings(table)), getQposId);
    }

    /**
     * The vendor's {@code onGetKeyCheckValue} table for {@code type}, as the vendor reports it,
     * waiting at most {@code timeoutMs}. {@code timeoutSecs} and {@code len} go to the vendor's
     * 4-argument form when both are positive.
     */
    KeyLoaderBackend.Result checkValues(int keyIndex, QPOSService.CHECKVALUE_KEYTYPE type, int timeoutSecs, int len, int timeoutMs) {
        Object vendorType = constant(checkValueTypes, type.name());
        Function<Object, Object> table = values -> KeyLoaderBackend.Result.checkValueTable(strings(values));
        if (timeoutSecs > 0 && len > 0 && getKeyCheckValueSized != null) {
            return ask(timeoutMs, "the check values", Command.CHECK_VALUE, table, getKeyCheckValueSized, keyIndex, vendorType,
                    timeoutSecs, len);
        }
        return ask(timeoutMs, "the check values", Command.CHECK_VALUE, table, getKeyCheckValue, keyIndex, vendorType);
    }

    /**
     * Calls {@code method} on the vendor object: the public method of that name whose parameters
     * take {@code args}, keybridge's enum constants becoming the vendor's of the same name. Returns
     * what it returns. Throws IllegalStateException when the vendor object has no such method or it threw.
     */
    Object forward(String method, Object... args) {
        for (Class<?> c = pos.getClass(); c != null; c = c.getSuperclass()) {
            if (!Modifier.isPublic(c.getModifiers())) {
                continue;
            }
            for (Method m : c.getDeclaredMethods()) {
                Object[] converted = m.getName().equals(method) && Modifier.isPublic(m.getModifiers()) ? arguments(m, args) : null;
                if (converted != null) {
                    try {
                        return m.invoke(pos, converted);
                    } catch (InvocationTargetException | IllegalAccessException e) {
                        Throwable cause = e instanceof InvocationTargetException ? e.getCause() : e;
                        throw new IllegalStateException("the Dspread SDK's " + method + " threw " + cause.getClass().getName(), cause);
                    }
                }
            }
        }
        throw new IllegalStateException(pos.getClass().getName() + " has no public " + method + " taking " + args.length + " argument(s)");
    }

    /**
     * keybridge's current call has ended: it no longer waits for anything (see the class comment
     * for the late answers).
     */
    void giveUp() {
        synchronized (pending) {
            giveUpPending();
            answers.clear();
        }
    }

    @Override
    public void close() {
        synchronized (pending) {
            pending.clear();
            givenUp.clear();
            answers.clear();
        }
    }

    private KeyLoaderBackend.Result ask(int timeoutMs, String what, Command command, Function<Object, Object> answer, Method method,
            Object... args) {
        try {
            start(command, answer, method, args);
            Object value = await(timeoutMs);
            if (value instanceof KeyLoaderBackend.Result) {
                return (KeyLoaderBackend.Result) value;
            }
            String error = value instanceof ReaderOutcome ? ((ReaderOutcome) value).getError() : QPOSService.Error.NO_RESPONSE.name();
            return KeyLoaderBackend.Result.failed(error, "the Dspread SDK did not report " + what + " (" + error + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return KeyLoaderBackend.Result.failed(QPOSService.Error.UNKNOWN.name(), "interrupted");
        } catch (Exception e) {
            return KeyLoaderBackend.Result.failed(QPOSService.Error.COMM_ERROR.name(), e.getMessage());
        } finally {
            giveUp();
        }
    }

    private void start(Command command, Function<Object, Object> answer, Method method, Object... args) throws Exception {
        if (!observing) {
            throw new IllegalStateException("keybridge does not see the Dspread SDK's callbacks: install the listener"
                    + " from DspreadSdkBackend.wrapListener with the SDK's initListener first");
        }
        Pending started;
        synchronized (pending) {
            giveUpPending();
            started = new Pending(++lastStarted, command, answer);
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

    /** keybridge no longer waits for the pending commands. Holds the lock. */
    private void giveUpPending() {
        givenUp.addAll(pending);
        pending.clear();
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

    /** Takes a callback that answers a command keybridge started; false leaves it to the app's listener. */
    private boolean claim(String callback, Object[] args) {
        boolean error = callback.equals("onError");
        Command kind = null;
        for (Command command : Command.values()) {
            kind = command.answer.equals(callback) ? command : kind;
        }
        if (!error && kind == null) {
            return false;
        }
        synchronized (pending) {
            // The SDK answers in order, and what keybridge gave up on is older than what it waits for.
            while (!givenUp.isEmpty()) {
                Pending late = givenUp.pollFirst();
                if (error) {
                    return !pending.isEmpty();
                }
                if (late.command == kind) {
                    return true;
                }
                // Another kind of answer: the SDK moved past this command without answering it.
            }
            if (error) {
                Pending answered = pending.pollFirst();
                if (answered == null) {
                    return false;
                }
                String name = ((Enum<?>) args[0]).name();
                answers.add(new Answer(answered.id, ReaderOutcome.failed(answered.command == Command.LOAD, name)));
                return true;
            }
            Pending answered = oldest(kind);
            if (answered == null) {
                return false;
            }
            answers.add(new Answer(answered.id, answered.answer.apply(args[0])));
            return true;
        }
    }

    /**
     * Removes and returns the oldest pending command of this kind, with every older one: the SDK
     * answers in order, so a command before it will never be answered.
     */
    private Pending oldest(Command command) {
        for (Pending p : pending) {
            if (p.command == command) {
                Pending found;
                do {
                    found = pending.pollFirst();
                } while (found.command != command);
                return found;
            }
        }
        return null;
    }

    /**
     * The KCV of the key last loaded into a key index, from the vendor's table: each type the load
     * wrote must hold one, and the same one.
     */
    private static ReaderOutcome keyCheckValue(Map<?, ?> table, List<QPOSService.CHECKVALUE_KEYTYPE> shown) {
        String kcv = null;
        for (QPOSService.CHECKVALUE_KEYTYPE type : shown) {
            Object value = table == null ? null : table.get(type.tableKey());
            String hex = value == null ? "" : value.toString().trim();
            if (hex.isEmpty()) {
                // The reader reports no check value here: the load stays unverified.
                return ReaderOutcome.failed(false, QPOSService.Error.CMD_NOT_AVAILABLE.name());
            }
            if (kcv != null && !kcv.equalsIgnoreCase(hex)) {
                // The key types the load wrote hold different keys: it did not do what was asked.
                return ReaderOutcome.failed(false, QPOSService.Error.UNKNOWN.name());
            }
            kcv = hex;
        }
        return ReaderOutcome.keyCheckValue(kcv);
    }

    private static Map<String, String> strings(Object table) {
        Map<String, String> values = new HashMap<>();
        if (table instanceof Map) {
            ((Map<?, ?>) table).forEach((k, v) -> values.put(String.valueOf(k), String.valueOf(v)));
        }
        return values;
    }

    /** {@code args} converted for {@code m}'s parameters, or null when they do not fit. */
    private static Object[] arguments(Method m, Object[] args) {
        Class<?>[] types = m.getParameterTypes();
        if (types.length != args.length) {
            return null;
        }
        Object[] converted = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            Object arg = args[i];
            Class<?> type = types[i];
            if (arg instanceof Enum && type.isEnum() && !type.isInstance(arg)) {
                arg = constant(type, ((Enum<?>) arg).name());
            }
            if (arg == null ? type.isPrimitive() : !box(type).isInstance(arg)) {
                return null;
            }
            converted[i] = arg;
        }
        return converted;
    }

    private static Class<?> box(Class<?> type) {
        if (!type.isPrimitive()) {
            return type;
        }
        if (type == int.class) {
            return Integer.class;
        }
        if (type == boolean.class) {
            return Boolean.class;
        }
        if (type == long.class) {
            return Long.class;
        }
        return type == byte.class ? Byte.class : Object.class;
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

    private static Method require(Method method, String signature) {
        if (method == null) {
            throw new IllegalStateException("this Dspread SDK has no " + signature);
        }
        return method;
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

    /** The public method {@code name} with {@code count} parameters whose parameter {@code enumAt} is an enum (the vendor's TR31KeyType). */
    private static Method optionalMethodNamed(Object pos, String name, int count, int enumAt) {
        for (Method m : pos.getClass().getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == count && m.getParameterTypes()[enumAt].isEnum()) {
                return optionalMethod(pos, name, m.getParameterTypes());
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

    private static Object vendorConstant(Class<?> enumType, Enum<?> value) {
        return constant(enumType, value.name());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object constant(Class<?> enumType, String name) {
        if (!enumType.isEnum()) {
            throw new IllegalArgumentException(enumType.getName() + " is not one of the Dspread SDK's enums");
        }
        return Enum.valueOf((Class) enumType, name);
    }
}
