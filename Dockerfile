# The insync node's image: `docker build -t registry.example.com/insync:0.1.0 .` at the repository root
# (docs/kubernetes.md). Two stages: Maven builds the node's jar on a JDK, and the image keeps only a JRE 17, the
# jar and Kamon's Kanela agent, run by an unprivileged user. The same image runs `node` (the Deployment) and
# `schema` (the schema Job).

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# ops' shaded jar (the node with every dependency) and, taken out of it, the Kanela agent jar that kamon-bundle
# carries (its name has the agent's version), for -javaagent
RUN mvn -B -q -DskipTests -pl ops -am package \
 && mkdir /out \
 && cp ops/target/insync.jar /out/insync.jar \
 && cd /out \
 && agent="$(jar tf insync.jar | grep -E '^kanela-agent-[0-9.]+\.jar$')" \
 && jar xf insync.jar "$agent" \
 && mv "$agent" kanela-agent.jar

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 insync \
 && useradd --system --uid 10001 --gid 10001 --home-dir /opt/insync --no-create-home insync
COPY --from=build --chown=root:root /out/ /opt/insync/
USER 10001:10001
# SYNC over TCP, SYNC over WebSocket, management HTTP, Prometheus metrics, cluster remoting (Artery)
EXPOSE 7400 7401 8558 9095 25520
ENTRYPOINT ["java", "-jar", "/opt/insync/insync.jar"]
CMD ["node"]
